"""CLI runs for the tests, each a process of its own forked from one that imported the CLI once.

A CLI run spends most of a second importing dlt, DuckDB and the pipelines before it does
anything, and the suite starts about a hundred of them. Each test process starts one fork
server (`python tests/forkserver.py SOCKET`), which imports the CLI and then, for every run
asked of it, forks a child that takes the run's arguments, environment, directory and output
files and runs `python -m pipelines` as the interpreter would (`runpy`; its exit unwinds as the
interpreter's). A child starts with nothing of the tests' process: the server runs no code of
ours but imports, and holds no thread, connection or configuration to inherit.

Runs that are about the process itself (signals, a terminal, a lock held across processes)
start `python -m pipelines` with `subprocess` instead.
"""

import json
import os
import runpy
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional

REQUEST_BYTES = 1 << 20


def serve(path: str) -> None:
    """Answers each connection on the UNIX socket `path` with a forked run, until the test
    process that started it ends (its standard input closes; the socket's directory goes then). A connection sends its request
    (JSON: argv, env, cwd) with the run's stdout and stderr files; it is answered with the run's
    pid, then its exit code."""
    import pipelines.commands.cli  # noqa: F401 - the import every run shares

    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen()
    print("ready", flush=True)
    running: Dict[int, socket.socket] = {}
    while True:
        readable, _, _ = select.select([listener, sys.stdin], [], [], 0.05)
        if sys.stdin in readable and not sys.stdin.readline():
            shutil.rmtree(Path(path).parent, ignore_errors=True)  # its socket's own directory
            return
        if listener in readable:
            connection, _ = listener.accept()
            message, fds, _, _ = socket.recv_fds(connection, REQUEST_BYTES, 2)
            pid = os.fork()
            if pid == 0:
                for held in (listener, connection, *running.values()):
                    held.close()
                run(json.loads(message), fds)
            for fd in fds:
                os.close(fd)
            connection.sendall(f"{pid}\n".encode())
            running[pid] = connection
        for pid in list(running):
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                connection = running.pop(pid)
                connection.sendall(f"{os.waitstatus_to_exitcode(status)}\n".encode())
                connection.close()


def run(request: dict, fds: List[int]) -> None:
    """In the forked child: `python -m pipelines ARGV` with the request's environment, directory
    and output. It ends as the interpreter would end it: its SystemExit (or exception) unwinds to
    the top, then the exit handlers run, open files are flushed and connections closed."""
    devnull = os.open(os.devnull, os.O_RDONLY)
    for fd, target in ((devnull, 0), (fds[0], 1), (fds[1], 2)):
        os.dup2(fd, target)
        os.close(fd)
    os.environ.clear()
    os.environ.update(request["env"])
    time.tzset()
    os.chdir(request["cwd"])
    sys.argv = ["pipelines", *request["argv"]]
    runpy.run_module("pipelines", run_name="__main__", alter_sys=True)
    sys.exit(0)


class ForkServer:
    """The fork server of this test process, started on first use and ended with it."""

    def __init__(self) -> None:
        self.socket_path = Path(tempfile.mkdtemp(prefix="forkserver-")) / "socket"
        self.server = subprocess.Popen(
            [sys.executable, __file__, str(self.socket_path)], cwd=Path(__file__).parents[1],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        assert self.server.stdout is not None and self.server.stdout.readline().strip() == "ready"

    def run(self, argv: List[str], env: dict, cwd: Path, timeout: float) -> subprocess.CompletedProcess:
        """`python -m pipelines ARGV` in `cwd` with `env` (the whole environment), output captured."""
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
                socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.connect(str(self.socket_path))
            request = json.dumps({"argv": argv, "env": dict(env), "cwd": str(cwd)}).encode()
            socket.send_fds(connection, [request], [out.fileno(), err.fileno()])
            answers = connection.makefile("r")
            pid = int(answers.readline())
            connection.settimeout(timeout)
            try:
                code: Optional[str] = answers.readline()
            except TimeoutError:
                os.kill(pid, 9)
                raise subprocess.TimeoutExpired(["python", *argv], timeout) from None
            out.seek(0)
            err.seek(0)
            return subprocess.CompletedProcess(
                [sys.executable, *argv], int(code or 1), out.read().decode(), err.read().decode())


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    serve(sys.argv[1])
