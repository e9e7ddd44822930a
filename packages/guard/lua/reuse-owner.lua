-- Which worker owns a reusable session (the fleet's single flight for `reuse:` templates), in one
-- call: the caller becomes the owner when there is none, when it already is, or when the owner
-- it names in ARGV[3] is the current one (that owner did not answer: it is gone); otherwise the
-- current owner is returned and nothing changes.
--
-- KEYS[1]   the session's owner key (the tenant's hash tag)
-- ARGV[1]   the caller's worker id
-- ARGV[2]   how long the ownership holds (ms): as long as the owner may hand the session out
-- ARGV[3]   a previous owner the caller displaces, or ""
--
-- Returns "" when the caller owns it now, else the owner's worker id.

local owner = redis.call("GET", KEYS[1])
if owner and owner ~= ARGV[1] and owner ~= ARGV[3] then
  return owner
end
redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
return ""
