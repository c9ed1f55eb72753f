-- Log lines of operations, progress messages included.
CREATE TABLE operation_logs (
    id            bigint GENERATED ALWAYS AS IDENTITY,
    operation_id  uuid NOT NULL REFERENCES operations (id) ON DELETE CASCADE,
    at            timestamptz NOT NULL DEFAULT now(),
    level         text NOT NULL CHECK (level IN ('debug', 'info', 'warning', 'error')),
    message       text NOT NULL,
    -- Serves `GET …/logs` and event streams: `WHERE operation_id = $1 AND id > $last ORDER BY id`.
    PRIMARY KEY (operation_id, id)
);

-- The transactional outbox: a row is written in the same transaction as the change it
-- reports; the notifier claims due rows and sends them at least once. The id is the
-- `webhook-id`, stable across retries.
CREATE TABLE webhook_deliveries (
    id               uuid PRIMARY KEY,
    operation_id     uuid NOT NULL REFERENCES operations (id) ON DELETE CASCADE,
    format           text NOT NULL CHECK (format IN ('standard', 'ouro', 'ouro_log')),
    url              text NOT NULL,
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead', 'stopped')),
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- When the next try is due. A notifier that claims a row moves it past the send
    -- timeout, so a notifier that dies mid-send leaves the row due again, not lost.
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    log_id           bigint,                             -- format ouro_log: the line it carries
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK ((format = 'ouro_log') = (log_id IS NOT NULL))
);

-- Serves the notifier's claim: `WHERE status = 'pending' AND next_attempt_at <= now()
-- ORDER BY next_attempt_at FOR UPDATE SKIP LOCKED`. Partial: sent rows cost nothing.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending';

-- Serves `GET …/deliveries` and the cascade when an operation is pruned.
CREATE INDEX webhook_deliveries_operation ON webhook_deliveries (operation_id, created_at);

-- Every try at sending a delivery.
CREATE TABLE webhook_attempts (
    delivery_id       uuid NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    n                 integer NOT NULL CHECK (n >= 1),
    at                timestamptz NOT NULL DEFAULT now(),
    response_status   integer,
    response_excerpt  text CHECK (length(response_excerpt) <= 2048),
    error             text,
    latency_ms        integer NOT NULL CHECK (latency_ms >= 0),
    -- Serves listing a delivery's attempts in order.
    PRIMARY KEY (delivery_id, n)
);
