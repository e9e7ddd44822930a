-- Shared by idem-claim.lua, idem-claim-limited.lua and idem-epoch.lua (scripts.ts puts it in front of each).
--
-- The epoch of one tenant's idempotency records: from when this Redis remembers them. It lives in
-- the tenant's slot (its key has the tenant's hash tag), so in a Redis Cluster a shard that loses
-- its data loses its epochs with it. Written once and never expired: with persistence it survives
-- restarts together with the records.
--
-- When it is missing (a new tenant, or the data is gone) it is the start of this Redis process:
-- whatever an earlier process held may be lost, and nothing sent after this one started can have
-- been issued before it. Any bound of the start from above is safe (never before the start):
-- INFO gives the start in whole seconds only (uptime_in_seconds), so the first whole second after
-- it, or, earlier still, when the calling client first saw this process alive (`seen`,
-- "run_id:ms,...", see incarnations.ts), whichever is earlier.

local function tenant_epoch(key, seen)
  local stored = tonumber(redis.call("GET", key) or "")
  if stored then
    return stored
  end
  local info = redis.call("INFO", "server")
  local server_s = math.floor(tonumber(string.match(info, "server_time_usec:(%d+)")) / 1000000)
  local uptime_s = tonumber(string.match(info, "uptime_in_seconds:(%d+)"))
  local epoch = (server_s - uptime_s + 1) * 1000
  local run_id = string.match(info, "run_id:(%x+)")
  local first_seen = run_id and tonumber(string.match(seen or "", run_id .. ":(%d+)") or "")
  if first_seen and first_seen < epoch then
    epoch = first_seen
  end
  redis.call("SET", key, string.format("%d", epoch))
  return epoch
end
