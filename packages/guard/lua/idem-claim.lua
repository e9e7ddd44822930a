-- Claim an idempotency record, or report what an earlier identical request left, in one call.
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
-- Returns { "claimed" } | { "done", reply } | { "pending" } | { "mismatch" } | { "stale" }
--       | { "forgotten", epoch }.
-- "forgotten": no record, but the request is older than this store's memory (Redis restarted
-- without persistence): it may have been issued before, so it must not be issued again.
-- The fingerprint is compared before the state, so a different request reusing an id is refused
-- even while the first one is still in flight.

local time = redis.call("TIME")
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
if now > tonumber(ARGV[4]) then
  return { "stale" }
end
local epoch = tenant_epoch(KEYS[2], ARGV[7])
local record = redis.call("HMGET", KEYS[1], "state", "fp", "owner")
if not record[1] then
  if tonumber(ARGV[5]) < epoch + tonumber(ARGV[6]) then
    return { "forgotten", string.format("%d", epoch) }
  end
  redis.call("HSET", KEYS[1], "state", "pending", "owner", ARGV[1], "fp", ARGV[2])
  redis.call("PEXPIRE", KEYS[1], ARGV[3])
  return { "claimed" }
end
if record[2] ~= ARGV[2] then
  return { "mismatch" }
end
if record[1] == "done" then
  return { "done", redis.call("HGET", KEYS[1], "reply") }
end
if record[3] == ARGV[1] then
  -- This caller's own earlier attempt, whose reply timed out but which ran: it is still ours.
  redis.call("PEXPIRE", KEYS[1], ARGV[3])
  return { "claimed" }
end
return { "pending" }
