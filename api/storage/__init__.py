"""Storage: the event store, reference tables, the write side's ports over them, migrations."""
