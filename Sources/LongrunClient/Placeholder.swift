// LongrunClient: the typed async client of `/v1` on AsyncHTTPClient. Built by the
// waiting-and-client issue (#6); the target exists now so the graph is in place.
