-- One partial index for running operations in place of two, so that heartbeats can be
-- HOT updates and a claim writes one index entry fewer.
--
-- A heartbeat changes only lease_expires_at. While that column was indexed
-- (operations_expired_leases), every heartbeat wrote a new entry into every index of
-- the table; now it changes no indexed column, and PostgreSQL can update the row in
-- place on its page (fillfactor 85 leaves the room). A claim moves a row into the
-- running set, which wrote an entry into both old indexes; it now writes one.
--
-- Serves, for this build and the ones before it:
--   the heartbeat   `WHERE lease_owner = $1 AND lease_token = ANY($2) AND status = 'running'`;
--   the rescuer     `WHERE status = 'running' AND lease_expires_at < now()` (it reads every
--                   running row: as many as the fleet's slots, never the finished ones).
--
-- CREATE INDEX blocks writes to operations while it reads the table. On a large table,
-- build it by hand first, without blocking, and this migration keeps it:
--   CREATE INDEX CONCURRENTLY operations_running ON operations (lease_owner)
--       WHERE status = 'running';
CREATE INDEX IF NOT EXISTS operations_running ON operations (lease_owner) WHERE status = 'running';
DROP INDEX operations_expired_leases;
DROP INDEX operations_lease_owner;
