-- Extend the lease of a claim whose owner is still working (without it, a claim
-- expired under a slow owner, a waiting duplicate took over and STS was called twice for one
-- request id). A crashed owner stops renewing, so its claim still expires after one lease.
--
-- KEYS[1]   record key
-- ARGV[1]   owner token returned by the claim
-- ARGV[2]   lease in ms
--
-- Returns 1 if the pending record is still this owner's (lease extended), else 0.

local record = redis.call("HMGET", KEYS[1], "state", "owner")
if record[1] == "pending" and record[2] == ARGV[1] then
  redis.call("PEXPIRE", KEYS[1], ARGV[2])
  return 1
end
return 0
