"""Runs the dbt project on the warehouse the pipeline just loaded."""

import os
import subprocess
import sys
from pathlib import Path
from typing import List, Optional

from pipelines.common.client import ConfigError

DBT_PROJECT = Path(__file__).resolve().parents[1] / "dbt_project"


class TransformError(RuntimeError):
    """dbt build failed; dbt has printed which model or test and why."""


def dbt_build(
    duckdb_file: Optional[str] = None, destination: str = "duckdb", target_path: Optional[str] = None
) -> None:
    """`dbt build` (models and tests) on the warehouse the load wrote.

    dbt runs in its own process, so its connections and logging never mix with the pipeline's.
    Its target is the dlt destination, and it reads the same credential variables as dlt
    (`dbt_project/profiles.yml`); a DuckDB path is made absolute because dbt resolves relative
    paths from its own working directory.
    """
    env = dict(os.environ, DESTINATION_TYPE=destination)
    if destination == "duckdb":
        if not duckdb_file or not Path(duckdb_file).exists():
            raise ConfigError(f"no warehouse at {duckdb_file}: load it before running dbt")
        env["DESTINATION__DUCKDB__CREDENTIALS"] = str(Path(duckdb_file).resolve())
    args: List[str] = [
        str(Path(sys.executable).with_name("dbt")), "build",
        "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT), "--target", destination,
    ]
    if target_path:
        args += ["--target-path", target_path]
    if subprocess.run(args, env=env).returncode != 0:
        raise TransformError("dbt build failed: its output above names the model or test")
