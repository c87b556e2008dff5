"""The BI snapshot: published after every successful run, readable under its own name, and never
blocking a run however long a reader holds it."""

import shutil
import subprocess
import sys

import duckdb

from helpers import ROOT, env_for, run_cli
from pipelines.engine.warehouse import our_tables_sql
from pipelines.outputs.snapshot import SCHEMAS

READER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
count = lambda: con.execute("select count(*) from raw.run_ledger").fetchone()[0]
print(count(), flush=True)
sys.stdin.readline()  # hold the file open until told
print(count(), flush=True)
"""


def relations(db) -> list:
    with duckdb.connect(str(db), read_only=True) as con:
        names = con.execute("select table_schema, table_name from information_schema.tables").fetchall()
        for schema, name in names:
            con.execute(f'select count(*) from "{schema}"."{name}"').fetchall()
    return names


def test_every_table_and_view_answers_in_the_snapshot_opened_under_its_own_name(cron_run):
    root = cron_run.warehouse.root
    copied = relations(root / "warehouse.snapshot.duckdb")
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as con:
        source = con.execute(our_tables_sql(SCHEMAS)).fetchall()
    assert sorted(copied) == sorted(source) and len(copied) > 40


def test_a_reader_holding_the_snapshot_keeps_its_view_and_never_blocks_the_next_run(cron_run, sim, tmp_path):
    for name in ("warehouse.duckdb", "warehouse.snapshot.duckdb"):  # a warehouse and the snapshot its run published
        shutil.copy(cron_run.warehouse.root / name, tmp_path / name)
    snapshot = tmp_path / "warehouse.snapshot.duckdb"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(snapshot)], cwd=ROOT,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        before = int(reader.stdout.readline())
        second = run_cli(env_for(sim, tmp_path))
        assert second.returncode == 0, second.stderr
        reader.stdin.write("go\n")
        reader.stdin.flush()
        still = int(reader.stdout.readline())
    finally:
        reader.kill()
        reader.wait()
    assert still == before
    with duckdb.connect(str(snapshot), read_only=True) as con:  # the run's ledger rows are in the new snapshot
        assert con.execute("select count(*) from raw.run_ledger").fetchone()[0] > before


def test_the_snapshot_can_be_turned_off(sim, tmp_path):
    result = run_cli(env_for(sim, tmp_path, DESTINATION__DUCKDB__SNAPSHOT="false"))
    assert result.returncode == 0
    assert not (tmp_path / "warehouse.snapshot.duckdb").exists()
    assert "snapshot for BI tools" not in result.stdout
