// LongrunWorker: the worker service (claim loop, slots, heartbeats, rescuer, cancel
// listener, deadlines, handler registry, demo kinds). Built by the worker issue (#4);
// the target exists now so the dependency graph of the architecture is in place.
