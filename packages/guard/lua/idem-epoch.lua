-- The store's epoch: when this Redis's memory of idempotency records began. Written once (at a
-- worker's start, when missing) with Redis's own clock and never expired, so with persistence it
-- survives restarts, and without it a restart empties it together with the records.
--
-- KEYS[1]   epoch key
--
-- Returns the epoch (epoch ms) as a string.

local value = redis.call("GET", KEYS[1])
if value then
  return value
end
local time = redis.call("TIME")
value = string.format("%d", tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000))
redis.call("SET", KEYS[1], value)
return value
