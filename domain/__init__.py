"""Pure domain of jointinspect: aggregates, rules and the application (stdlib + eventsourcing only)."""
