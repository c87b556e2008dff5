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


def dbt_build(duckdb_file: str, target_path: Optional[str] = None) -> None:
    """`dbt build` (models and tests) on the DuckDB file the load wrote.

    dbt runs in its own process, so its DuckDB connection and logging never mix with the
    pipeline's. It reads the file from `DESTINATION__DUCKDB__CREDENTIALS`, the variable dlt
    uses, given as an absolute path because dbt resolves relative paths from its own cwd.
    """
    if not Path(duckdb_file).exists():
        raise ConfigError(f"no warehouse at {duckdb_file}: load it before running dbt")
    env = dict(os.environ, DESTINATION__DUCKDB__CREDENTIALS=str(Path(duckdb_file).resolve()))
    args: List[str] = [
        str(Path(sys.executable).with_name("dbt")), "build",
        "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT),
    ]
    if target_path:
        args += ["--target-path", target_path]
    if subprocess.run(args, env=env).returncode != 0:
        raise TransformError("dbt build failed: its output above names the model or test")
