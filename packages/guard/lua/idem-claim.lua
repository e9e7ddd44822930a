-- Claim an idempotency record, or report what an earlier identical request left, in one call.
--
-- KEYS[1]   record key (a hash: state, owner, fp, reply)
-- ARGV[1]   owner token of the caller (random per claim)
-- ARGV[2]   request fingerprint
-- ARGV[3]   lease in ms: a pending record expires by itself if its owner crashes
--
-- Returns { "claimed" } | { "done", reply } | { "pending" } | { "mismatch" }.
-- The fingerprint is compared before the state, so a different request reusing an id is refused
-- even while the first one is still in flight.

local record = redis.call("HMGET", KEYS[1], "state", "fp")
if not record[1] then
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
return { "pending" }
