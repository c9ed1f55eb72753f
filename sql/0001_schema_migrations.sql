-- The record of applied migrations. `longrun migrate` reads it under an advisory lock
-- and refuses to run when the applied list is not a prefix of the files it bundles,
-- or when an applied file has changed since (its SHA-256 differs).
CREATE TABLE schema_migrations (
    version     integer PRIMARY KEY,
    name        text NOT NULL,
    checksum    bytea NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
);
