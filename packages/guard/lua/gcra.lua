-- GCRA rate limits (redis-cell semantics) for every limit of one request, in one atomic call.
-- All-or-nothing: the request is allowed only if every limit allows it, and only then is any
-- theoretical arrival time (TAT) advanced, so a refused request consumes nothing anywhere.
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
local quantity = tonumber(ARGV[1])

local allowed = 1
local retry_after = 0
local limited_by = 0
local remaining = -1
local new_tats = {}

-- Arithmetic is relative to `now`: absolute times near 1.7e15 µs leave doubles a
-- resolution of only 0.25 µs, and with fractional intervals (1.5/s = 666,666.67 µs) that made
-- `remaining` one short and could refuse the last request of a full burst. Stored TATs are rounded
-- down to whole µs (at most 1 µs in the caller's favour, never against it), and counts get an
-- epsilon of 1e-6 of a request against floating-point error.
local EPSILON = 1e-6

for i = 1, #KEYS do
  local interval = tonumber(ARGV[2 * i])
  local tolerance = interval * tonumber(ARGV[2 * i + 1])
  local stored = tonumber(redis.call("GET", KEYS[i]) or "0") or 0
  local tat = stored - now            -- relative; an exact integer
  if tat < 0 then tat = 0 end
  local new_tat = tat + interval * quantity
  local wait = new_tat - tolerance
  local fits
  if wait > EPSILON * interval then
    allowed = 0
    if wait > retry_after then
      retry_after = wait
      limited_by = i
    end
    fits = math.floor((tolerance - tat) / interval + EPSILON)
  else
    fits = math.floor((tolerance - new_tat) / interval + EPSILON)
  end
  if fits < 0 then fits = 0 end
  if remaining < 0 or fits < remaining then remaining = fits end
  new_tats[i] = new_tat
end

if allowed == 1 then
  for i = 1, #KEYS do
    -- %.0f: tostring() would print 1.7e15 in exponent form and lose precision.
    -- At least 1 ms: with very fast limits the TAT can round to `now`.
    local ttl = math.max(1, math.ceil(new_tats[i] / 1000))
    redis.call("SET", KEYS[i], string.format("%.0f", now + math.floor(new_tats[i])), "PX", ttl)
  end
end

return { allowed, math.ceil(retry_after), limited_by, remaining }
