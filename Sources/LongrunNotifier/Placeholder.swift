// LongrunNotifier: the webhook delivery service on AsyncHTTPClient (formats,
// signatures, back-off, SSRF guard, attempt log, Ouro log forwarding). Built by the
// notifier issue (#5); the target exists now so the architecture's graph is in place.
