"""The DuckDB warehouse: one writer at a time, and tables replaced only when the new one is whole.

DuckDB lets one process hold a file open for writing. Dagster runs steps (and whole runs, when a
schedule fires during a manual materialisation) in separate processes, so every connection here
holds an inter-process file lock beside the warehouse for as long as it is open: a second writer
waits its turn instead of failing with "Could not set lock on file". The lock is re-entrant
within a process (a helper that opens the warehouse inside an open connection does not wait for
itself), and a file held by a program outside bold's lock (a DuckDB shell, a notebook) is waited
for a while, then reported as WarehouseBusy with what to do.

The file is attached under a fixed catalog name (`CATALOG`) and made the default, so any file
name works: DuckDB would otherwise name the catalog after the file stem, and a warehouse called
`outputs.duckdb` (or `raw.duckdb`, `linkage.duckdb`, ...) would make `outputs.x` ambiguous
between the catalog and the schema.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from filelock import FileLock, Timeout

SCHEMAS = ("raw", "truth", "reference", "linkage", "research", "marts", "outputs", "evaluation")
LOCK_TIMEOUT_S = 3600
OUTSIDE_HOLDER_WAIT_S = 300  # how long to wait for a program that opened the file directly
CATALOG = "bold_warehouse"  # the warehouse file's catalog name in every connection
# Connections this process holds open, by file: a nested `connect` takes a cursor on the open
# one (DuckDB attaches a file once per process).
_OPEN: dict[str, list[duckdb.DuckDBPyConnection]] = {}
# The in-memory DuckDB databases `connect` attaches the files to, by file and configuration, kept
# between connections (the most recent few): making a database for each connection was about
# two thirds of the time an open took (27 of 38 ms, some 400 opens a pipeline build). The file
# is attached only while a connection is open, so other processes can open it in between; what
# a connection registers on the database itself (a Python function, an instance-wide SET) stays.
_HOSTS: dict[tuple[str, tuple], duckdb.DuckDBPyConnection] = {}
_ATTACHED: dict[str, duckdb.DuckDBPyConnection] = {}  # file -> the host it is attached to
_HOSTS_LOCK = threading.Lock()
HOSTS_KEPT = 2


class WarehouseBusy(RuntimeError):
    """The warehouse stayed in use too long; the message says by whom and what to do."""


def lock_path(warehouse: Path | str) -> Path:
    warehouse = Path(warehouse)
    return warehouse.with_name(warehouse.name + ".lock")


def open_file(warehouse: Path | str, read_only: bool = False,
              config: dict | None = None) -> duckdb.DuckDBPyConnection:
    """A connection whose default catalog is the warehouse file, attached as CATALOG."""
    con = duckdb.connect(":memory:", config=config or {})
    try:
        _use_file(con, warehouse, read_only)
    except Exception:
        con.close()
        raise
    return con


def _use_file(con: duckdb.DuckDBPyConnection, warehouse: Path | str,
              read_only: bool = False) -> None:
    """Attach the warehouse file to `con`'s database as CATALOG and make it the default."""
    path = str(warehouse).replace("'", "''")
    con.execute(f"ATTACH '{path}' AS {CATALOG}{' (READ_ONLY)' if read_only else ''}")
    con.execute(f"USE {CATALOG}")


def _forget(host: duckdb.DuckDBPyConnection) -> None:
    """Close a host (releasing any file attached to it) and forget it; under _HOSTS_LOCK."""
    for key in [k for k, h in _HOSTS.items() if h is host]:
        del _HOSTS[key]
    host.close()


def _drop(host: duckdb.DuckDBPyConnection) -> None:
    with _HOSTS_LOCK:
        _forget(host)


def _attach(warehouse: Path, config: dict | None) -> duckdb.DuckDBPyConnection:
    """A connection on the warehouse's kept database, with the file attached and the default."""
    key = (str(warehouse), tuple(sorted((config or {}).items())))
    with _HOSTS_LOCK:
        stale = _ATTACHED.pop(str(warehouse), None)
        if stale is not None:  # marked attached with no connection open (connect only
            _forget(stale)  # attaches then): a close was interrupted; this releases the file
        host = _HOSTS.pop(key, None) or duckdb.connect(":memory:", config=config or {})
        _HOSTS[key] = host  # the most recently used last
        _ATTACHED[str(warehouse)] = host
        busy = set(map(id, _ATTACHED.values()))
        for old in list(_HOSTS)[:-HOSTS_KEPT]:
            if id(_HOSTS[old]) not in busy:
                _HOSTS.pop(old).close()
    con = host.cursor()
    try:
        _use_file(con, warehouse)
    except BaseException as exc:
        con.close()
        with _HOSTS_LOCK:
            _ATTACHED.pop(str(warehouse), None)
        if not isinstance(exc, duckdb.IOException):  # (the file busy: the host is kept)
            _drop(host)
        raise
    return con


def _detach(warehouse: Path, con: duckdb.DuckDBPyConnection) -> None:
    """Release the file: the last connection of this process on it is closing (closing it rolls
    back what it left open). A host that cannot detach the file is closed, which releases it."""
    con.close()
    with _HOSTS_LOCK:
        host = _ATTACHED.pop(str(warehouse), None)
    if host is None:
        return
    try:
        host.execute(f"DETACH {CATALOG}")
    except BaseException as exc:
        _drop(host)
        if not isinstance(exc, duckdb.Error):
            raise


def _open(warehouse: Path, wait_s: float, config: dict | None = None
          ) -> duckdb.DuckDBPyConnection:
    """_attach, retrying while a process outside bold's lock holds the file."""
    deadline = time.monotonic() + wait_s
    delay = 0.05
    while True:
        try:
            return _attach(warehouse, config)
        except duckdb.IOException as exc:
            if "Could not set lock" not in str(exc):
                raise
            if time.monotonic() >= deadline:
                raise WarehouseBusy(
                    f"{warehouse} is held open by a program outside bold's lock (a DuckDB shell, "
                    f"notebook or BI tool) for over {wait_s:.0f} s; close it and re-execute"
                ) from exc
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


@contextmanager
def lock(warehouse: Path | str, timeout_s: float | None = None) -> Iterator[Path]:
    """Hold the warehouse's writer lock without opening it (e.g. around a dbt subprocess).

    Re-entrant within a process and thread; other processes wait up to `timeout_s` (default
    LOCK_TIMEOUT_S). Yields the resolved warehouse path.
    """
    warehouse = Path(warehouse).resolve()
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    timeout_s = LOCK_TIMEOUT_S if timeout_s is None else timeout_s
    file_lock = FileLock(str(lock_path(warehouse)), is_singleton=True)
    try:
        file_lock.acquire(timeout=timeout_s)
    except Timeout:
        raise WarehouseBusy(
            f"{warehouse} stayed in use by another run for over {timeout_s:.0f} s; wait for that "
            "run to finish (Runs in the Dagster UI) and re-execute this one"
        ) from None
    try:
        yield warehouse
    finally:
        file_lock.release()


@contextmanager
def connect(
    warehouse: Path | str, timeout_s: float | None = None, config: dict | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse, waiting for any other process that has it open.

    The connection is a cursor on an in-memory database the process keeps (`_HOSTS`): its
    temporary tables and registered frames are its own, but a Python function it registers or
    an instance-wide SET stays on that database for later connections."""
    with lock(warehouse, timeout_s) as path:
        held = _OPEN.get(str(path))
        if held:  # nested in an open connection of this process: a cursor on the same database
            con = held[-1].cursor()
            con.execute(f"USE {CATALOG}")
        else:
            wait_s = OUTSIDE_HOLDER_WAIT_S if timeout_s is None else min(timeout_s,
                                                                          OUTSIDE_HOLDER_WAIT_S)
            con = _open(path, wait_s, config)
        _OPEN.setdefault(str(path), []).append(con)
        try:
            yield con
        finally:
            _OPEN[str(path)].remove(con)
            if _OPEN[str(path)]:
                con.close()
            else:
                _detach(path, con)


def ensure_schema(con: duckdb.DuckDBPyConnection, schema: str) -> None:
    con.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """One transaction: committed when the block ends, rolled back (and re-raised) on error."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def write_frames(con: duckdb.DuckDBPyConnection, frames: dict[str, object],
                 statements: list[str]) -> None:
    """Run `statements` in one transaction, with in-memory `frames` registered under their
    names for the duration."""
    for name, frame in frames.items():
        con.register(name, frame)
    try:
        with transaction(con):
            for sql in statements:
                con.execute(sql)
    finally:
        for name in frames:
            con.unregister(name)


def replace_table(con: duckdb.DuckDBPyConnection, schema: str, table: str, select_sql: str) -> int:
    """Replace `schema.table` by the result of `select_sql`, atomically.

    The new table is built under a temporary name first; only when it is complete is the old one
    dropped and the new one renamed, in one transaction. A failure leaves the old table as it was.
    Returns the new row count.
    """
    ensure_schema(con, schema)
    staging = f"__new_{table}"
    con.execute(f'DROP TABLE IF EXISTS "{schema}"."{staging}"')
    try:
        con.execute(f'CREATE TABLE "{schema}"."{staging}" AS {select_sql}')
    except Exception:
        con.execute(f'DROP TABLE IF EXISTS "{schema}"."{staging}"')
        raise
    with transaction(con):
        con.execute(f'DROP TABLE IF EXISTS "{schema}"."{table}" CASCADE')
        con.execute(f'ALTER TABLE "{schema}"."{staging}" RENAME TO "{table}"')
    return con.execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchall()[0][0]


def replace_table_from(con: duckdb.DuckDBPyConnection, schema: str, table: str, data: object,
                       columns: str = "*") -> int:
    """Replace `schema.table` by an in-memory frame (pandas, arrow), atomically; the row count.

    `columns` is the select list over the frame, e.g. to cast or order columns.
    """
    view = f"__frame_{schema}_{table}"
    con.register(view, data)
    try:
        return replace_table(con, schema, table, f"SELECT {columns} FROM {view}")
    finally:
        con.unregister(view)


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [schema, table],
    ).fetchall()[0]
    return bool(row[0])
