-- Shared by gcra.lua and idem-claim-limited.lua (scripts.ts puts it in front of each): GCRA (redis-cell
-- semantics) for every limit of one request. All-or-nothing: gcra_decide only reads, and the
-- caller runs gcra_commit (which advances every theoretical arrival time, TAT) only when every
-- limit allowed the request, so a refused request consumes nothing anywhere.
--
-- keys[first_key + i - 1]        TAT key of limit i, for i = 1..count
-- args[first_arg + 2(i - 1)]     emission interval of limit i in microseconds (1e6 / perSecond; may be fractional)
-- args[first_arg + 2(i - 1) + 1] burst of limit i: how many requests may arrive at once after an idle period
-- now                            the server's TIME in µs (read once by the script)

-- Arithmetic is relative to `now`: absolute times near 1.7e15 µs leave doubles a
-- resolution of only 0.25 µs, and with fractional intervals (1.5/s = 666,666.67 µs) that made
-- `remaining` one short and could refuse the last request of a full burst. Stored TATs are rounded
-- down to whole µs (at most 1 µs in the caller's favour, never against it), and counts get an
-- epsilon of 1e-6 of a request against floating-point error.
local GCRA_EPSILON = 1e-6

-- Returns allowed (1|0), retry_after_us, limited_by (1-based index of the limit that must wait
-- longest, 0 if allowed), remaining (min over limits of requests that still fit now; -1 with no
-- limits) and the new relative TATs for gcra_commit.
local function gcra_decide(keys, first_key, count, quantity, args, first_arg, now)
  local allowed = 1
  local retry_after = 0
  local limited_by = 0
  local remaining = -1
  local new_tats = {}
  for i = 1, count do
    local interval = tonumber(args[first_arg + 2 * (i - 1)])
    local tolerance = interval * tonumber(args[first_arg + 2 * (i - 1) + 1])
    local stored = tonumber(redis.call("GET", keys[first_key + i - 1]) or "0") or 0
    local tat = stored - now            -- relative; an exact integer
    if tat < 0 then tat = 0 end
    local new_tat = tat + interval * quantity
    local wait = new_tat - tolerance
    local fits
    if wait > GCRA_EPSILON * interval then
      allowed = 0
      if wait > retry_after then
        retry_after = wait
        limited_by = i
      end
      fits = math.floor((tolerance - tat) / interval + GCRA_EPSILON)
    else
      fits = math.floor((tolerance - new_tat) / interval + GCRA_EPSILON)
    end
    if fits < 0 then fits = 0 end
    if remaining < 0 or fits < remaining then remaining = fits end
    new_tats[i] = new_tat
  end
  return allowed, retry_after, limited_by, remaining, new_tats
end

local function gcra_commit(keys, first_key, new_tats, now)
  for i = 1, #new_tats do
    -- %.0f: tostring() would print 1.7e15 in exponent form and lose precision.
    -- At least 1 ms: with very fast limits the TAT can round to `now`.
    local ttl = math.max(1, math.ceil(new_tats[i] / 1000))
    redis.call("SET", keys[first_key + i - 1], string.format("%.0f", now + math.floor(new_tats[i])), "PX", ttl)
  end
end
