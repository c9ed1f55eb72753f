-- Whether any API node has a long poll or an event stream waiting, so that publishers
-- can skip `longrun_changed` while none has: that channel carries the id of every
-- operation claimed, progressed or finished, and only API nodes with a waiter read it.
--
-- One row. An API node with a waiter pushes watched_until ahead (to now() plus a short
-- lease, renewed while it has waiters) before its waiter reads the operation; a
-- publisher sends `longrun_changed` after its commit only if watched_until is still
-- ahead (`SELECT pg_notify(…) … WHERE EXISTS (… watched_until > now())`). A change the
-- waiter's read missed committed after that read, so after the renewal: the publisher's
-- check, made after its commit, sees the renewal. No change a waiter needs goes
-- unannounced.
--
-- Builds before this one always send `longrun_changed`, and their API nodes never
-- renew: roll API nodes out before workers and notifiers (the documented order).
CREATE TABLE change_feed (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    watched_until timestamptz NOT NULL DEFAULT '-infinity'
);
INSERT INTO change_feed DEFAULT VALUES;
