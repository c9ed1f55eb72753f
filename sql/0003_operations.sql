-- Worker processes: who holds leases, and whether they still beat.
CREATE TABLE workers (
    id                 uuid PRIMARY KEY,
    host               text NOT NULL,
    pid                integer NOT NULL,
    queues             text[] NOT NULL,
    concurrency        integer NOT NULL CHECK (concurrency > 0),
    started_at         timestamptz NOT NULL DEFAULT now(),
    last_heartbeat_at  timestamptz NOT NULL DEFAULT now()
);

-- The operation resource of the contract plus what only the system sees.
-- fillfactor leaves room on each page so progress and heartbeat updates can stay
-- HOT (no index writes) when they touch no indexed column.
CREATE TABLE operations (
    id                      uuid PRIMARY KEY,            -- UUIDv7: sorts by creation time
    tenant_id               bigint NOT NULL REFERENCES tenants (id),
    kind                    text NOT NULL CHECK (length(kind) BETWEEN 1 AND 200),
    queue                   text NOT NULL DEFAULT 'default' CHECK (length(queue) BETWEEN 1 AND 100),
    priority                smallint NOT NULL DEFAULT 0 CHECK (priority BETWEEN -100 AND 100),
    status                  text NOT NULL DEFAULT 'pending'
                            CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'cancelled')),
    input                   jsonb NOT NULL,
    metadata                jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
    result                  jsonb,
    error                   jsonb,                       -- {code, message, details}
    progress                smallint CHECK (progress BETWEEN 0 AND 100),
    message                 text,
    attempt                 integer NOT NULL DEFAULT 0 CHECK (attempt >= 0),
    max_attempts            integer NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    started_at              timestamptz,
    finished_at             timestamptz,
    estimated_completion    timestamptz,
    run_at                  timestamptz NOT NULL DEFAULT now(),  -- not claimable before (retry back-off)
    deadline                timestamptz,                 -- from timeout_seconds
    callback_url            text,
    ouro_webhook_url        text,
    ouro_webhook_token      text,                        -- a secret: never shown back or logged
    ouro_action_id          text,
    ouro_route_id           text,
    ouro_route_org_id       text,
    ouro_route_team_id      text,
    lease_owner             uuid,                        -- workers.id; no foreign key, workers are pruned
    lease_token             uuid,
    lease_expires_at        timestamptz,
    checkpoint              jsonb,
    idempotency_key         text CHECK (length(idempotency_key) BETWEEN 1 AND 255),
    request_fingerprint     bytea,
    idempotency_expires_at  timestamptz,

    -- The resource's invariants, enforced where every writer meets.
    CHECK ((status = 'succeeded') = (result IS NOT NULL)),
    CHECK ((status IN ('failed', 'cancelled')) = (error IS NOT NULL)),
    CHECK ((status IN ('succeeded', 'failed', 'cancelled')) = (finished_at IS NOT NULL)),
    CHECK ((status = 'running') = (lease_token IS NOT NULL)),
    CHECK ((lease_token IS NULL) = (lease_owner IS NULL) AND (lease_token IS NULL) = (lease_expires_at IS NULL)),
    CHECK ((idempotency_key IS NULL) = (request_fingerprint IS NULL)
           AND (idempotency_key IS NULL) = (idempotency_expires_at IS NULL))
) WITH (fillfactor = 85);

-- Serves the claim: `WHERE status = 'pending' AND queue = ANY($1) AND run_at <= now()
-- ORDER BY priority DESC, run_at, id FOR UPDATE SKIP LOCKED`. Partial, so finished
-- rows, however many, cost nothing; queue (the equality column) first.
CREATE INDEX operations_claimable ON operations (queue, priority DESC, run_at, id)
    WHERE status = 'pending';

-- Serves the rescuer: `WHERE status = 'running' AND lease_expires_at < now()`.
CREATE INDEX operations_expired_leases ON operations (lease_expires_at)
    WHERE status = 'running';

-- Serves the worker's own leases (heartbeat `WHERE lease_owner = $1`, release at shutdown).
CREATE INDEX operations_lease_owner ON operations (lease_owner)
    WHERE lease_owner IS NOT NULL;

-- Serves listing, newest first with keyset pagination:
-- `WHERE tenant_id = $1 AND id < $cursor ORDER BY id DESC`, and `GET` by id within a tenant.
CREATE INDEX operations_tenant_id ON operations (tenant_id, id DESC);

-- Serves Idempotency-Key look-ups and makes one key yield one operation per tenant,
-- however many requests race.
CREATE UNIQUE INDEX operations_idempotency_key ON operations (tenant_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

-- Serves retention pruning: `WHERE finished_at < now() - retention`.
CREATE INDEX operations_finished_at ON operations (finished_at)
    WHERE finished_at IS NOT NULL;
