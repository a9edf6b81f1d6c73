"""Two runs on one warehouse at once (a schedule firing during a manual materialisation): both
complete, the second waiting for the warehouse lock, never "Could not set lock on file"."""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from bold_assets.quality.suites import get_suite
from bold_assets.warehouse import lock_path
from tests.conftest import TEST_PROJECT_KEY, TEST_SEED

POPULATION = 1500
RAW = ("mags", "crown", "prison")


def _start(warehouse: Path, log: Path, dagster_home: Path | None) -> subprocess.Popen:
    # Runs of one Dagster instance queue behind each other (bold_assets/dagster.yaml); runs of
    # two instances (a UI's and a `bold materialize` with a temporary one) can overlap, and
    # then only the warehouse lock keeps them apart.
    env = {**os.environ, "BOLD_WAREHOUSE": str(warehouse), "BOLD_POPULATION": str(POPULATION),
           "BOLD_SEED": str(TEST_SEED), "BOLD_PROJECT_KEY": TEST_PROJECT_KEY,
           "DAGSTER_HOME": str(dagster_home)}  # fmt: skip
    env.pop("BOLD_LANDING_DIR", None)
    if dagster_home is None:
        env.pop("DAGSTER_HOME")
    bold = Path(sys.executable).with_name("bold")
    # Three raw tables with their Great Expectations checks: one writer step and three checker
    # steps, each opening the warehouse, so the two runs contend for it several times.
    select = ",".join(f"raw/{s}" for s in RAW) + ",reference/*"
    return subprocess.Popen([str(bold), "materialize", "--select", select],
                            env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)


def test_two_overlapping_runs_both_complete(tmp_path):
    warehouse = tmp_path / "bold.duckdb"
    logs = [tmp_path / "run_a.log", tmp_path / "run_b.log"]
    home = tmp_path / "dagster_home"
    home.mkdir()
    import dagster as dg

    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.get_runs()  # create its storage first, as `dagster dev` has when a run starts
    runs = [_start(warehouse, logs[0], home), _start(warehouse, logs[1], None)]
    both_running = all(p.poll() is None for p in runs)  # observed, not timed: they overlap
    codes = [p.wait(timeout=600) for p in runs]
    # the terminal names the file holding Dagster's full event log
    texts = [Path(re.search(r"full event log: (\S+)", log.read_text()).group(1)).read_text()
             + log.read_text() for log in logs]
    n_checks = sum(len(get_suite(f"raw.{s}").expectations) for s in RAW)
    assert both_running
    for code, text in zip(codes, texts, strict=True):
        assert "Could not set lock" not in text
        assert code == 0, text[-3000:]
        assert "RUN_SUCCESS" in text
        assert text.count("ASSET_CHECK_EVALUATION -") == n_checks  # every GX check ran
    assert lock_path(warehouse).exists()

    with dg.DagsterInstance.from_config(str(home)) as instance:
        statuses = [r.status for r in instance.get_runs()]
    assert statuses == [dg.DagsterRunStatus.SUCCESS]
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        for s in RAW:
            assert con.execute(f"SELECT count(*) FROM raw.{s}").fetchall()[0][0] > 0
    finally:
        con.close()


def test_a_writer_waits_for_the_lock_instead_of_failing(tmp_path):
    """A second process that finds the warehouse in use waits, then writes."""
    warehouse = tmp_path / "bold.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\n"
        "from bold_assets.warehouse import connect\n"
        f"with connect({str(warehouse)!r}) as con:\n"
        "    con.execute('CREATE TABLE t AS SELECT 1 AS x')\n"
        "    print('holding', flush=True)\n"
        "    sys.stdin.readline()\n"  # hold the warehouse until told to let go
    )], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert holder.stdout.readline().strip() == "holding"
    waiter = subprocess.Popen([sys.executable, "-c", (
        "from bold_assets.warehouse import connect\n"
        "print('trying', flush=True)\n"
        f"with connect({str(warehouse)!r}) as con:\n"
        "    con.execute('INSERT INTO t VALUES (2)')\n"
        "print('written', flush=True)\n"
    )], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    assert waiter.stdout.readline().strip() == "trying"
    time.sleep(1.0)  # ample for a connect that does not wait; not a timing assertion
    assert waiter.poll() is None, "the second writer did not wait for the first"
    holder.stdin.write("\n")
    holder.stdin.flush()
    assert holder.wait(timeout=60) == 0
    out, _ = waiter.communicate(timeout=60)
    assert waiter.returncode == 0 and "written" in out, out
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert sorted(r[0] for r in con.execute("SELECT x FROM t").fetchall()) == [1, 2]
    finally:
        con.close()


def test_nested_connections_in_one_process_do_not_wait_for_themselves(tmp_path):
    from bold_assets.warehouse import connect

    with connect(tmp_path / "bold.duckdb") as outer:
        outer.execute("CREATE TABLE t AS SELECT 1 AS x")
        with connect(tmp_path / "bold.duckdb") as inner:
            assert inner.execute("SELECT x FROM t").fetchall() == [(1,)]


def test_between_connections_the_file_is_free_for_other_processes(tmp_path):
    """`connect` keeps its in-memory DuckDB database between connections, not the file: another
    process opens and writes it in between, and the next connection reads what it wrote; a
    connection left in an open or a failed transaction releases the file too (rolled back);
    hosts beyond HOSTS_KEPT are closed."""
    from bold_assets import warehouse

    path = tmp_path / "bold.duckdb"

    def other_process(sql: str) -> str:
        code = ("import sys, duckdb\ncon = duckdb.connect(sys.argv[1])\n"
                "print(con.execute(sys.argv[2]).fetchall())")
        out = subprocess.run([sys.executable, "-c", code, str(path), sql],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr[-2000:]
        return out.stdout.strip()

    with warehouse.connect(path) as con:
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
    kept = [k for k in warehouse._HOSTS if k[0] == str(path.resolve())]
    assert len(kept) == 1
    assert other_process("INSERT INTO t VALUES (2) RETURNING x") == "[(2,)]"
    with warehouse.connect(path) as con:
        assert con.execute("SELECT sum(x) FROM t").fetchall() == [(3,)]
        con.execute("BEGIN TRANSACTION")
        con.execute("INSERT INTO t VALUES (4)")  # never committed
    assert other_process("SELECT sum(x) FROM t") == "[(3,)]"
    with warehouse.connect(path) as con:
        con.execute("BEGIN TRANSACTION")
        con.execute("INSERT INTO t VALUES (8)")
        with pytest.raises(duckdb.CatalogException):
            con.execute("SELECT * FROM no_such_table")  # the transaction has failed
    assert other_process("INSERT INTO t VALUES (16) RETURNING x") == "[(16,)]"
    with warehouse.connect(path) as con:
        assert con.execute("SELECT sum(x) FROM t").fetchall() == [(19,)]
    assert kept[0] in warehouse._HOSTS  # the same database all along
    for i in range(warehouse.HOSTS_KEPT + 1):  # other warehouses push this one's host out
        with warehouse.connect(tmp_path / f"other_{i}.duckdb") as con:
            con.execute("SELECT 1")
    assert kept[0] not in warehouse._HOSTS and len(warehouse._HOSTS) <= warehouse.HOSTS_KEPT


def test_a_program_outside_the_lock_is_waited_for_then_reported(tmp_path, monkeypatch):
    """A DuckDB shell holding the file: bold waits for it, and names it if it never lets go."""
    from bold_assets import warehouse

    path = tmp_path / "bold.duckdb"
    outsider = subprocess.Popen([sys.executable, "-c", (
        "import sys, duckdb\n"
        f"con = duckdb.connect({str(path)!r})\n"
        "print('open', flush=True)\n"
        "sys.stdin.readline()\n"
        "con.close()\n"
    )], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert outsider.stdout.readline().strip() == "open"
    monkeypatch.setattr(warehouse, "OUTSIDE_HOLDER_WAIT_S", 0.5)
    try:
        with warehouse.connect(path):
            raise AssertionError("opened a file another process holds")
    except warehouse.WarehouseBusy as exc:
        assert str(exc).startswith(f"{path.resolve()} is held open by a program outside")
        assert "close it and re-execute" in str(exc)
    monkeypatch.setattr(warehouse, "OUTSIDE_HOLDER_WAIT_S", 120)
    outsider.stdin.write("\n")
    outsider.stdin.flush()  # the outsider lets go while bold is waiting
    with warehouse.connect(path) as con:
        assert con.execute("SELECT 42").fetchall() == [(42,)]
    assert outsider.wait(timeout=60) == 0
