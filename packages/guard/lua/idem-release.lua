-- Give up a claim (after a retryable failure) so that a retry can do the work.
-- Only the owner of a still-pending record may release it; a done record is never deleted.
--
-- KEYS[1]   record key
-- ARGV[1]   owner token returned by the claim
--
-- Returns 1 if the record was deleted, else 0.

local record = redis.call("HMGET", KEYS[1], "state", "owner")
if record[1] == "pending" and record[2] == ARGV[1] then
  redis.call("DEL", KEYS[1])
  return 1
end
return 0
