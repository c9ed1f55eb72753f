-- Tenants own operations, API keys and a webhook signing secret.
CREATE TABLE tenants (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name           text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
    -- `whsec_` + base64 key. Stored as written: the notifier needs the key itself to
    -- sign (HMAC), so unlike API keys it cannot be a hash.
    webhook_secret text NOT NULL CHECK (webhook_secret LIKE 'whsec\_%'),
    created_at     timestamptz NOT NULL DEFAULT now()
);

-- API keys are stored only as the SHA-256 of the key; the key itself is shown once.
CREATE TABLE api_keys (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id    bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    -- Serves authentication: `WHERE key_hash = $1` on every request.
    key_hash     bytea NOT NULL UNIQUE CHECK (length(key_hash) = 32),
    -- The first characters of the key, so operators can tell keys apart.
    key_prefix   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id);
