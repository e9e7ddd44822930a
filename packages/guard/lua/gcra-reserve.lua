-- A reserving GCRA take for one limit (see gcra-lib.lua, which scripts.ts puts in front): when the
-- request would be allowed within the maximum wait, its place is taken now (the TAT advances) and
-- the wait returned, so the caller sleeps once and proceeds without asking again, and waiters are
-- served first come, first served. A wait beyond the maximum is refused, reserving nothing.
-- (gcra.lua, which reserves nothing when it refuses, would have every waiter ask again after at
-- most one interval: a herd on one key, and a refusal that never comes.)
--
-- KEYS[1]   TAT key of the limit
-- ARGV[1]   quantity (>= 1)
-- ARGV[2]   emission interval in microseconds (1e6 / perSecond; may be fractional)
-- ARGV[3]   burst
-- ARGV[4]   maximum wait in microseconds
--
-- Returns { reserved (1|0), wait_us }: reserved, how long until the reserved place (0: now);
-- refused, how long until the request would be allowed without waiting.

local time = redis.call("TIME")
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local _, wait, _, _, new_tats = gcra_decide(KEYS, 1, 1, tonumber(ARGV[1]), ARGV, 2, now)
if wait > tonumber(ARGV[4]) then
  return { 0, math.ceil(wait) }
end
gcra_commit(KEYS, 1, new_tats, now)
return { 1, math.ceil(wait) }
