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

for i = 1, #KEYS do
  local interval = tonumber(ARGV[2 * i])
  local tolerance = interval * tonumber(ARGV[2 * i + 1])
  local tat = tonumber(redis.call("GET", KEYS[i]) or "0") or 0
  if tat < now then tat = now end
  local new_tat = tat + interval * quantity
  local wait = new_tat - tolerance - now
  local fits
  if wait > 0 then
    allowed = 0
    if wait > retry_after then
      retry_after = wait
      limited_by = i
    end
    fits = math.floor((tolerance - (tat - now)) / interval)
  else
    fits = math.floor((tolerance - (new_tat - now)) / interval)
  end
  if fits < 0 then fits = 0 end
  if remaining < 0 or fits < remaining then remaining = fits end
  new_tats[i] = new_tat
end

if allowed == 1 then
  for i = 1, #KEYS do
    -- %.0f: tostring() would print 1.7e15 in exponent form and lose precision.
    -- At least 1 ms: with very fast limits the TAT can round to `now` (doubles near 1.7e15 µs).
    local ttl = math.max(1, math.ceil((new_tats[i] - now) / 1000))
    redis.call("SET", KEYS[i], string.format("%.0f", new_tats[i]), "PX", ttl)
  end
end

return { allowed, math.ceil(retry_after), limited_by, remaining }
