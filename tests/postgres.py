"""A throwaway PostgreSQL server for the test run: a cluster in a temporary folder on a free
port, one fresh database per test (copied from a migrated template), all removed at the end.

The server is Debian's `postgresql` package (`make test` installs it when `pg_ctl` is
missing). PostgreSQL refuses to run as root, so under root (CI containers) the cluster belongs
to the `postgres` user the package creates.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg

TEMPLATE = "posukk_template"


def server_binaries() -> Path:
    """The folder of `pg_ctl` and `initdb`: on the PATH, else Debian's versioned folder."""
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not versions:
        raise RuntimeError(
            "PostgreSQL is not installed: apt-get install postgresql (make test does)"
        )
    return Path(versions[-1]).parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    """One cluster; `database()` hands out fresh databases with the schema already in."""

    def __init__(self, folder: Path, port: int, owner: str | None) -> None:
        self.folder = folder
        self.port = port
        self._owner = owner
        self._bin = server_binaries()
        self._scratch: str | None = None
        self._emptying: str | None = None

    def url(self, name: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", self._owner, "--"] if self._owner else []
        subprocess.run([*prefix, *command], check=True, capture_output=True, cwd="/")

    def start(self) -> None:
        data = self.folder / "data"
        self._run(
            str(self._bin / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
            "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync",
        )  # fmt: skip
        # Durability off: a test cluster is thrown away, and fsync would make every commit wait.
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
            " -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
        )
        self._run(
            str(self._bin / "pg_ctl"), "-D", str(data), "-o", options, "-w",
            "-l", str(self.folder / "server.log"), "start",
        )  # fmt: skip

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run(
                str(self._bin / "pg_ctl"),
                "-D",
                str(self.folder / "data"),
                "-m",
                "immediate",
                "stop",
            )

    def execute(self, sql: str) -> None:
        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(sql.encode())

    def create_template(self) -> None:
        """A database with every migration applied, which each test's database copies."""
        import asyncio

        from bot.storage.database import Database

        self.execute(f"CREATE DATABASE {TEMPLATE}")

        async def migrate() -> None:
            database = await Database.open(self.url(TEMPLATE), pool_size=1)
            await database.close()

        asyncio.run(migrate())

    def database(self, like: str | None = None) -> str:
        """A new database: a copy of the one at `like` (nobody connected to it), else the
        schema with nothing in it."""
        name = f"t_{uuid.uuid4().hex}"
        template = like.rsplit("/", 1)[1] if like else TEMPLATE
        self.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
        return self.url(name)

    def emptied(self) -> str:
        """The run's shared test database, emptied: each test's own, at a fraction of a new
        database's cost (10 ms against half a second). Whoever is still connected from the
        test before (a `posukk` process killed mid-test) is disconnected first; ids start
        again at 1, as in a new database."""
        if self._scratch is None:
            self._scratch = self.database()
        name = self._scratch.rsplit("/", 1)[1]
        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
        with psycopg.connect(self._scratch, autocommit=True) as connection:
            if self._emptying is None:
                self._emptying = _emptying_sql(connection)
            connection.execute(self._emptying.encode())
        return self._scratch

    def drop(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        self.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _emptying_sql(connection: psycopg.Connection[tuple[Any, ...]]) -> str:
    """Delete every row but the schema's version, foreign keys not checked meanwhile (the test
    cluster's superuser may), and start every id again at 1."""
    tables = [
        str(name)
        for (name,) in connection.execute(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = 'public' AND table_name <> 'schema_version'"
        )
    ]
    sequences = [
        str(name)
        for (name,) in connection.execute(
            "SELECT pg_get_serial_sequence(table_name, column_name)"
            " FROM information_schema.columns WHERE table_schema = 'public'"
            " AND is_identity = 'YES'"
        )
    ]
    return (
        "SET session_replication_role = replica;"
        + "".join(f"DELETE FROM {table};" for table in tables)
        + "".join(f"ALTER SEQUENCE {sequence} RESTART;" for sequence in sequences)
        + "SET session_replication_role = DEFAULT;"
    )


@contextlib.contextmanager
def running_server() -> Iterator[PostgresServer]:
    """Start a cluster for the test run; stopped and deleted when the block ends."""
    owner = "postgres" if os.geteuid() == 0 else None
    folder = Path(tempfile.mkdtemp(prefix="posukk-pg-"))
    if owner:
        entry = pwd.getpwnam(owner)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    server = PostgresServer(folder, _free_port(), owner)
    try:
        server.start()
        server.create_template()
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
