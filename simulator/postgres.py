"""A throwaway PostgreSQL server for the tests and benchmarks that need one: a cluster made in a
temp dir (initdb, pg_ctl) on a free loopback port, with the roles and database `sql/` sets up as
the README says, removed afterwards. `.ci/run` installs Debian's postgresql package when the
server binaries are missing."""

import glob
import os
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Dict, Iterator, List, Optional

from simulator.server import free_port

SQL_DIR = Path(__file__).resolve().parents[1] / "sql"
SERVER_TZ = "Pacific/Kiritimati"
"""The server's default zone: far from UTC, so a session that does not set UTC shows it."""
LOADER = "loader"
"""The role `sql/_setup_postgres_roles.sql` makes for the pipeline (trust auth: no password)."""


def server_binaries() -> Optional[Path]:
    """Where initdb and pg_ctl are, or None."""
    found = shutil.which("initdb") and shutil.which("pg_ctl")
    if found:
        return Path(str(shutil.which("initdb"))).parent
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    return Path(dirs[-1]) if dirs and (Path(dirs[-1]) / "initdb").exists() else None


def as_server_user(args: List[str]) -> List[str]:
    """initdb and postgres refuse to run as root: run them as the `postgres` user then."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def psql(bin_dir: Path, port: int, user: str, database: str, *script: str) -> None:
    """psql with `script` (`-f FILE` or `-c SQL`), stopping at the first error."""
    client = bin_dir / "psql" if (bin_dir / "psql").exists() else Path(shutil.which("psql") or "psql")
    done = subprocess.run([str(client), "-h", "127.0.0.1", "-p", str(port), "-U", user, "-d", database,
                           "-v", "ON_ERROR_STOP=1", *script], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"psql {' '.join(script)}: {done.stderr.strip()}")


def warehouse_settings(port: int, database: str = "deliverability") -> Dict[str, str]:
    """The settings that point the pipeline and dbt at `database` on this server, as the loader."""
    return {
        "DESTINATION_TYPE": "postgres",
        "DESTINATION__POSTGRES__CREDENTIALS__HOST": "127.0.0.1",
        "DESTINATION__POSTGRES__CREDENTIALS__PORT": str(port),
        "DESTINATION__POSTGRES__CREDENTIALS__USERNAME": LOADER,
        "DESTINATION__POSTGRES__CREDENTIALS__PASSWORD": "unused",
        "DESTINATION__POSTGRES__CREDENTIALS__DATABASE": database,
    }


@contextmanager
def throwaway_server(databases: tuple = ()) -> Iterator[int]:
    """A server (its port) with `sql/_setup_postgres_roles.sql` run as the admin, and one more
    database owned by the loader for each name of `databases`."""
    bin_dir = server_binaries()
    if bin_dir is None:
        raise FileNotFoundError("PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql")
    root = Path(tempfile.mkdtemp(prefix="deliverability-pg-"))  # under /tmp: the server user can reach it
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    port = free_port()
    env = dict(os.environ, LC_ALL="C")
    try:
        subprocess.run(as_server_user([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres",
                                       "--auth=trust", "-E", "UTF8"]), check=True, env=env, capture_output=True)
        subprocess.run(as_server_user([
            str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log"), "-w", "start",
            "-o", f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c timezone={SERVER_TZ}"
                  " -c max_connections=300",
        ]), check=True, env=env, capture_output=True)
        psql(bin_dir, port, "postgres", "postgres", "-f", str(SQL_DIR / "_setup_postgres_roles.sql"))
        for name in databases:
            psql(bin_dir, port, "postgres", "postgres", "-c", f"create database {name} owner {LOADER}")
        yield port
    finally:
        subprocess.run(as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                       env=env, capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
