-- GCRA rate limits for every limit of one request, in one atomic call (see gcra-lib.lua, which
-- scripts.ts puts in front). A refused request consumes nothing anywhere.
--
-- KEYS[i]        TAT key of limit i (all keys share one hash tag, so one Redis Cluster slot)
-- ARGV[1]        quantity (cost of this request, >= 1)
-- ARGV[2i]       emission interval of limit i in microseconds (1e6 / perSecond; may be fractional)
-- ARGV[2i + 1]   burst of limit i: how many requests may arrive at once after an idle period
--
-- Returns { allowed (1|0), retry_after_us, limited_by (1-based index of the limit that must
-- wait longest, 0 if allowed), remaining (min over limits of requests that still fit now) }.
--
-- TIME is read on the server: one clock for every worker. Redis 7 replicates script effects, so
-- the non-deterministic call is safe on replicas.

local time = redis.call("TIME")
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local allowed, retry_after, limited_by, remaining, new_tats = gcra_decide(KEYS, 1, #KEYS, tonumber(ARGV[1]), ARGV, 2, now)
if allowed == 1 then
  gcra_commit(KEYS, 1, new_tats, now)
end
return { allowed, math.ceil(retry_after), limited_by, remaining }
