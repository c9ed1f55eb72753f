-- What the worker runtime (claims, fenced transitions, rescue, pruning) needs beyond 0001-0004.

-- A version 7 UUID (RFC 9562): 48 bits of Unix time in milliseconds, then random bits.
-- PostgreSQL 18 has uuidv7(); before it, start from a random (version 4) UUID, write the
-- time over its first six bytes, and turn version 4 (0100) into 7 (0111) by setting
-- the two low bits of the version nibble (bits 52 and 53 of the bytea, counted from
-- the least significant bit of each byte). Statements that make many delivery rows
-- at once use it, so their ids sort by creation time like the ones made in Swift.
CREATE FUNCTION longrun_uuidv7() RETURNS uuid
LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
    SELECT encode(
        set_bit(set_bit(
            overlay(uuid_send(gen_random_uuid())
                    PLACING substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
                    FROM 1 FOR 6),
            52, 1), 53, 1),
        'hex')::uuid
$$;

ALTER TABLE webhook_deliveries ALTER COLUMN id SET DEFAULT longrun_uuidv7();

-- Serves the pruning of expired idempotency keys:
-- `WHERE idempotency_expires_at < now() ORDER BY idempotency_expires_at LIMIT $n`.
CREATE INDEX operations_idempotency_expiry ON operations (idempotency_expires_at)
    WHERE idempotency_key IS NOT NULL;

-- Serves the expiry of operations whose deadline passed before any worker started them:
-- `WHERE status = 'pending' AND deadline < now() ORDER BY deadline LIMIT $n`.
CREATE INDEX operations_overdue ON operations (deadline)
    WHERE status = 'pending' AND deadline IS NOT NULL;

-- Serves the pruning of workers that stopped beating long ago.
CREATE INDEX workers_last_heartbeat ON workers (last_heartbeat_at);
