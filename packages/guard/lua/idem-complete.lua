-- Store the final reply of a claimed record, only if the caller still owns the claim.
--
-- KEYS[1]   record key
-- ARGV[1]   owner token returned by the claim
-- ARGV[2]   reply bytes (binary-safe; the vendor stores encrypted replies only)
-- ARGV[3]   how long the done record is kept, in ms
-- ARGV[4]   request fingerprint ("": never write a record that is gone)
--
-- Returns 1 if the record is (now) done under this token, 0 if the claim was lost (someone else
-- claimed it, or it is done with another owner's reply). A repeated complete by the same owner,
-- e.g. after a lost reply, returns 1 and keeps the first reply.
-- A record that is gone (its lease ran out while Redis was unreachable, or a restart lost it) is
-- written as done: nobody else holds a claim, and a retry must replay these credentials rather
-- than have new ones issued.

local record = redis.call("HMGET", KEYS[1], "state", "owner")
if not record[1] then
  if ARGV[4] == "" then
    return 0
  end
  redis.call("HSET", KEYS[1], "state", "done", "owner", ARGV[1], "fp", ARGV[4], "reply", ARGV[2])
  redis.call("PEXPIRE", KEYS[1], ARGV[3])
  return 1
end
if record[2] ~= ARGV[1] then
  return 0
end
if record[1] == "done" then
  return 1
end
redis.call("HSET", KEYS[1], "state", "done", "reply", ARGV[2])
redis.call("PEXPIRE", KEYS[1], ARGV[3])
return 1
