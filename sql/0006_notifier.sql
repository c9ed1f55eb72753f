-- What the notifier needs beyond 0001-0005.

-- Completion webhooks and Ouro log forwards are claimed from partial indexes of their
-- own. A notifier without Ouro settings never sends log forwards; in one index, the
-- forwards of operations with an Ouro action id would pile up at its head and every
-- claim would step over them.

-- Serves the claim of completion webhooks: `WHERE status = 'pending' AND format <>
-- 'ouro_log' AND next_attempt_at <= now() ORDER BY next_attempt_at FOR UPDATE SKIP LOCKED`.
DROP INDEX webhook_deliveries_due;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending' AND format <> 'ouro_log';

-- Serves the claim of Ouro log forwards, the same way.
CREATE INDEX webhook_deliveries_log_due ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending' AND format = 'ouro_log';

-- Serves the order of log forwards: a line waits while an earlier line of its operation
-- is pending (`NOT EXISTS (… WHERE operation_id = $op AND log_id < $line)` in the claim).
CREATE INDEX webhook_deliveries_log_order ON webhook_deliveries (operation_id, log_id)
    WHERE status = 'pending' AND format = 'ouro_log';
