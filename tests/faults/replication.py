"""A hot standby of a test-owned primary (tests/faults/processes.PgCluster), made as a deployment makes one:
pg_basebackup with -R (standby.signal and primary_conninfo), then its own port. For the replica and topology
tests; never the shared server."""
from __future__ import annotations

from typing import Iterator

from contextlib import contextmanager

from tests.faults.processes import PgCluster, require_pg_binaries


class Standby(PgCluster):
    def init_from(self, primary: PgCluster) -> "Standby":
        self._pg("pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres", "-D",
                 str(self.data), "-R", "-X", "stream", "--checkpoint=fast")
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(f"\nport = {self.port}\nunix_socket_directories = '{self.directory}'\nhot_standby = on\n")
        return self


@contextmanager
def primary_and_standby(database: str = "store") -> Iterator[tuple[PgCluster, Standby]]:
    """A started primary with `database`, and a started standby streaming from it; both destroyed on the way out."""
    require_pg_binaries()
    primary, standby = PgCluster(), Standby()
    try:
        primary.init()
        primary.start()
        primary.create_database(database)
        standby.init_from(primary)
        standby.start()
        yield primary, standby
    finally:
        standby.destroy()
        primary.destroy()
