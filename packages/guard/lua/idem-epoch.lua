-- The epoch of one tenant's idempotency records (see tenant-epoch.lua), written if missing.
--
-- KEYS[1]   the tenant's epoch key
-- ARGV[1]   when the caller first saw Redis processes alive ("run_id:ms,...")
--
-- Returns the epoch (epoch ms) as a string.

return string.format("%d", tenant_epoch(KEYS[1], ARGV[1]))
