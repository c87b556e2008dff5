"""The README's Dagster deployment, started on this machine (for its test and its benchmark):
`pipelines/commands/dagster.yaml` in a fresh `DAGSTER_HOME` with Dagster's storage in PostgreSQL,
and the commands of the README's block under "Deploying on Dagster", run as written there, on
free loopback ports instead of 4000, 4001 and 3000."""

import os
import re
import shlex
import shutil
import signal
import subprocess
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Mapping

from simulator.bench import wait_for_port
from simulator.server import free_port

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "pipelines" / "commands" / "dagster.yaml"
SECTION = "### Deploying on Dagster"
SERVES = ("code-server start", "dagster-webserver", "dagster-daemon run")
"""The README's commands that keep running (the rest run and return)."""


def readme_commands() -> List[str]:
    """The commands of the README's deployment block, in order (one per line, comments dropped)."""
    text = (ROOT / "README.md").read_text()
    block = re.search(re.escape(SECTION) + r".*?```bash\n(.*?)```", text, re.S)
    if block is None:
        raise LookupError(f"README.md has no bash block under {SECTION!r}")
    lines = [line.split(" #")[0].strip() for line in block.group(1).splitlines()]
    return [line for line in lines if line and not line.startswith(("#", "export ", "mkdir ", "cp "))]


@dataclass
class Deployment:
    """A running deployment: its environment, `DAGSTER_HOME` and the webserver's port."""

    env: Dict[str, str]
    home: Path
    ui_port: int

    def run(self, command: str, replacements: Mapping[str, str] = {}) -> str:
        """One of the README's commands that returns (`dagster job backfill ...`), with its words
        replaced as `replacements` says: its output."""
        for old, new in replacements.items():
            command = command.replace(old, new)
        done = subprocess.run(shlex.split(command), cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise RuntimeError(f"{command}: {done.stderr[-2000:]}")
        return done.stdout

    def instance(self):  # type: ignore[no-untyped-def]
        """Dagster's instance as the deployment sees it (its storage in PostgreSQL)."""
        import dagster as dg

        saved = dict(os.environ)
        os.environ.update({k: v for k, v in self.env.items() if k.startswith("DAGSTER_")})
        try:
            return dg.DagsterInstance.from_config(str(self.home))
        finally:
            os.environ.clear()
            os.environ.update(saved)


@contextmanager
def deployment(root: Path, env: Mapping[str, str], postgres_url: str, max_runs: int) -> Iterator[Deployment]:
    """Starts the README's serving commands (the code locations' servers, then, once they answer,
    the webserver and the daemon: a daemon that finds no code server waits a minute before it looks
    again) with `env` (the pipeline's settings: what the code location's host is given) and
    Dagster's settings, and stops them at the end of the block."""
    home = root / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(CONFIG, home / "dagster.yaml")
    loads_port, models_port, ui_port = free_port(), free_port(), free_port()
    full = {
        **env, "DAGSTER_HOME": str(home), "DAGSTER_POSTGRES_URL": postgres_url,
        "DAGSTER_MAX_CONCURRENT_RUNS": str(max_runs), "DAGSTER_CODE_SERVER_HOST": "127.0.0.1",
        "DAGSTER_LOADS_PORT": str(loads_port), "DAGSTER_MODELS_PORT": str(models_port),
    }
    ports = {"-p 4000": f"-p {loads_port}", "-p 4001": f"-p {models_port}", "-p 3000": f"-p {ui_port}",
             "0.0.0.0": "127.0.0.1"}
    with ExitStack() as stack:
        serving = [c for c in readme_commands() if any(s in c for s in SERVES)]
        for n, command in enumerate(serving, start=1):
            for old, new in ports.items():
                command = command.replace(old, new)
            if "code-server" not in command:  # the README's order: the code servers answer first
                for port in (loads_port, models_port):
                    wait_for_port(port, 180)
            log = stack.enter_context(open(root / f"{n}-{command.split()[0].rsplit('/', 1)[-1]}.log", "a"))
            process = subprocess.Popen(shlex.split(command), cwd=ROOT, env=full, stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True)
            stack.callback(stop, process)
        wait_for_port(ui_port, 180)
        yield Deployment(full, home, ui_port)


def stop(process: subprocess.Popen) -> None:
    """Ends a serving command and what it started (the code server's run processes). A code
    server told to stop waits up to a minute for its open calls (the daemon's heartbeats): a
    throwaway deployment does not wait that long."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


def wait_until(check, timeout_s: float, every_s: float = 2.0):  # type: ignore[no-untyped-def]
    """`check()`'s first true answer, asked every `every_s` until `timeout_s`; TimeoutError after."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        answer = check()
        if answer:
            return answer
        time.sleep(every_s)
    raise TimeoutError(f"not done within {timeout_s:.0f} s")
