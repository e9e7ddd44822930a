-- Shared by idem-claim.lua and idem-claim-limited.lua (scripts.ts puts it, after tenant-epoch.lua, in front of
-- each): claim an idempotency record, or report what an earlier identical request left.
--
-- The record is a hash (state, owner, fp, reply); idem_record reads the fields idem_claim needs,
-- so that a script may look at the record (idem-claim-limited.lua: is it already this caller's?) and claim it
-- with one read.
--
-- Returns { "claimed" } | { "done", reply } | { "pending" } | { "mismatch" } | { "forgotten", epoch }.
-- "forgotten": no record, but the request is older than this store's memory (Redis restarted
-- without persistence): it may have been issued before, so it must not be issued again.
-- The fingerprint is compared before the state, so a different request reusing an id is refused
-- even while the first one is still in flight.

local function idem_record(key)
  return redis.call("HMGET", key, "state", "fp", "owner")
end

-- key, epoch_key: the record and the tenant's epoch key (same hash tag); record: idem_record(key);
-- token: the caller's owner token; lease_ms: how long a pending record lives without its owner;
-- client_time_ms, fence_margin_ms, seen: for the epoch fence (see idem-claim.lua).
local function idem_claim(key, epoch_key, record, token, fingerprint, lease_ms, client_time_ms, fence_margin_ms, seen)
  local epoch = tenant_epoch(epoch_key, seen)
  if not record[1] then
    if tonumber(client_time_ms) < epoch + tonumber(fence_margin_ms) then
      return { "forgotten", string.format("%d", epoch) }
    end
    redis.call("HSET", key, "state", "pending", "owner", token, "fp", fingerprint)
    redis.call("PEXPIRE", key, lease_ms)
    return { "claimed" }
  end
  if record[2] ~= fingerprint then
    return { "mismatch" }
  end
  if record[1] == "done" then
    return { "done", redis.call("HGET", key, "reply") }
  end
  if record[3] == token then
    -- This caller's own earlier attempt, whose reply timed out but which ran: it is still ours.
    redis.call("PEXPIRE", key, lease_ms)
    return { "claimed" }
  end
  return { "pending" }
end
