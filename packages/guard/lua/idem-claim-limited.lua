-- Claim with rate limits, in one atomic call: charge every rate limit a request is subject to, then claim its
-- idempotency record (or report what an earlier identical request left). The order is the
-- protocol's: limits before the claim, so replays, pending duplicates and mismatches are charged
-- like any request. A request refused by a limit consumes nothing and claims nothing.
--
-- KEYS[1]        record key (a hash: state, owner, fp, reply)
-- KEYS[2]        the tenant's epoch key (tenant-epoch.lua)
-- KEYS[3..]      TAT key of each limit (gcra-lib.lua). In a Redis Cluster every key must share the
--                record's hash tag; the guard sends other tenants' limits separately there.
-- ARGV[1..7]     as idem-claim.lua: token, fingerprint, lease ms, not-after, client_time_ms,
--                fence margin, seen
-- ARGV[8]        quantity (cost of this request, >= 1)
-- ARGV[9 + 2(i - 1)], ARGV[10 + 2(i - 1)]   emission interval (µs) and burst of limit i
--
-- Returns what idem_claim returns (idem-claim-lib.lua), or
--   { "stale" }                              past not-after: nothing was changed, limits included
--   { "limited", retry_after_us, limited_by, remaining }   a limit refused (limited_by: its
--                                            1-based index; remaining as gcra.lua's); nothing was changed

local time = redis.call("TIME")
local now_us = tonumber(time[1]) * 1000000 + tonumber(time[2])
-- Before anything else: a command that ran after its caller gave up must change nothing.
if math.floor(now_us / 1000) > tonumber(ARGV[4]) then
  return { "stale" }
end
local record = idem_record(KEYS[1])
-- A pending record under this very token is this caller's earlier attempt, which timed out on
-- the caller's side but ran, limits and all: it was charged then and is not charged again.
if not (record[1] == "pending" and record[3] == ARGV[1]) then
  local allowed, retry_after, limited_by, remaining, new_tats = gcra_decide(KEYS, 3, #KEYS - 2, tonumber(ARGV[8]), ARGV, 9, now_us)
  if allowed == 0 then
    return { "limited", string.format("%d", math.ceil(retry_after)), string.format("%d", limited_by), string.format("%d", remaining) }
  end
  gcra_commit(KEYS, 3, new_tats, now_us)
end
return idem_claim(KEYS[1], KEYS[2], record, ARGV[1], ARGV[2], ARGV[3], ARGV[5], ARGV[6], ARGV[7])
