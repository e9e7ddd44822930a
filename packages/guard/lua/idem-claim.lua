-- Claim an idempotency record, or report what an earlier identical request left, in one call
-- (idem_claim, in idem-claim-lib.lua). idem-claim-limited.lua does the same after the request's rate limits.
--
-- KEYS[1]   record key (a hash: state, owner, fp, reply)
-- KEYS[2]   the tenant's epoch key: from when this Redis remembers the tenant's records (see
--           tenant-epoch.lua); in the record's slot (same hash tag)
-- ARGV[1]   owner token of the caller (random per request; the same for the caller's own retries)
-- ARGV[2]   request fingerprint
-- ARGV[3]   lease in ms: a pending record expires by itself if its owner crashes
-- ARGV[4]   not-after (epoch ms): past it the caller has given up on this command (timeout), so
--           a command that ran late (Redis paused, then resumed) must change nothing
-- ARGV[5]   the request's client_time_ms (the same for every attempt of one request)
-- ARGV[6]   fence margin in ms (client clock skew allowed against Redis's clock)
-- ARGV[7]   when the caller first saw Redis processes alive ("run_id:ms,...", for the epoch)
--
-- Returns what idem_claim returns, or { "stale" } (past not-after: nothing was changed).

local time = redis.call("TIME")
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
if now > tonumber(ARGV[4]) then
  return { "stale" }
end
return idem_claim(KEYS[1], KEYS[2], idem_record(KEYS[1]), ARGV[1], ARGV[2], ARGV[3], ARGV[5], ARGV[6], ARGV[7])
