"""`python -m simulator --agency N` gives each workspace its own faults when asked: one client
without the add-on, another with a broken endpoint."""

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from helpers import ROOT
from simulator.agency import agency_key
from simulator.server import free_port


def status(url: str, key: str) -> int:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}", "User-Agent": "tests"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            json.loads(response.read())
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.fixture(scope="module")
def agency_of_three():
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "simulator", "--port", str(port), "--agency", "3", "--campaigns", "2", "--tests", "1",
         "--days", "3", "--faults", "page_size=50", "--workspace-faults", "2:no_placement_addon=true",
         "--workspace-faults", "3:failing_path=/api/v2/accounts"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert server.stdout.readline().startswith(f"simulator on http://127.0.0.1:{port}")
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:  # it prints its address just before it listens
            try:
                status(url + "/api/v2/campaigns", agency_key(1))
                break
            except OSError:
                assert time.monotonic() < deadline, "the simulator did not start listening"
                time.sleep(0.05)
        yield url
    finally:
        server.kill()
        server.wait()


@pytest.mark.parametrize("path, expected", [
    ("/api/v2/inbox-placement-tests", {1: 200, 2: 402, 3: 200}),
    ("/api/v2/accounts", {1: 200, 2: 200, 3: 500}),
    ("/api/v2/campaigns", {1: 200, 2: 200, 3: 200}),
])
def test_each_workspace_has_its_own_faults(agency_of_three, path, expected):
    assert {n: status(agency_of_three + path, agency_key(n)) for n in expected} == expected


def test_a_workspace_number_outside_the_agency_is_refused():
    done = subprocess.run([sys.executable, "-m", "simulator", "--agency", "2", "--workspace-faults", "3:unpaid=true"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "from 1 to --agency (2)" in done.stderr
