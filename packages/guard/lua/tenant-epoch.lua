-- Shared by idem-claim.lua and idem-epoch.lua (scripts.ts puts it in front of each).
--
-- The epoch of one tenant's idempotency records: from when this Redis remembers them. It lives in
-- the tenant's slot (its key has the tenant's hash tag), so in a Redis Cluster a shard that loses
-- its data loses its epochs with it. Written once and never expired: with persistence it survives
-- restarts together with the records.
--
-- When it is missing (a new tenant, or the data is gone) it is the start of this Redis process:
-- whatever an earlier process held may be lost, and nothing sent after this one started can have
-- been issued before it. INFO gives the start in whole seconds only (uptime_in_seconds), so the
-- epoch is the first whole second after it: never before the start, at most 1 s after it.

local function tenant_epoch(key)
  local stored = tonumber(redis.call("GET", key) or "")
  if stored then
    return stored
  end
  local info = redis.call("INFO", "server")
  local server_s = math.floor(tonumber(string.match(info, "server_time_usec:(%d+)")) / 1000000)
  local uptime_s = tonumber(string.match(info, "uptime_in_seconds:(%d+)"))
  local epoch = (server_s - uptime_s + 1) * 1000
  redis.call("SET", key, string.format("%d", epoch))
  return epoch
end
