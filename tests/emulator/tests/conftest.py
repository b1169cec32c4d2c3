"""Fixtures for the emulator's own tests.

One emulator (moto's threaded server with every extension of ``stackwright_emulator`` installed)
runs in the test process on a free loopback port for the whole session and is stopped at its end.
Every test starts from an empty emulator (moto's ``/moto-api/reset``) and a lifecycle delay of 0,
so resources reach their final state at once. A test that wants to see a transition in progress
sets a long delay with the ``delay`` fixture before the call that starts it (a lifecycle reads the
delay when it starts) and ends it with ``finish`` (the emulator's test control
``lifecycles/finish``), without sleeping.
"""

import os
import sys
import urllib.request

import boto3
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir))

from moto.moto_server.threaded_moto_server import ThreadedMotoServer  # noqa: E402

import stackwright_emulator  # noqa: E402
from stackwright_emulator import lifecycle, settings  # noqa: E402

REGION = "us-east-1"


@pytest.fixture(scope="session")
def endpoint():
    # moto's own switches must not decide what the extensions model.
    for name in ("MOTO_ECS_SERVICE_RUNNING", "MOTO_ECS_SERVICE_FAILED_TASKS"):
        os.environ.pop(name, None)
    stackwright_emulator.install_all()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _fresh(endpoint, monkeypatch):
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=10).close()
    monkeypatch.setenv(settings.ENV, "0")
    yield


@pytest.fixture
def delay(monkeypatch):
    """Sets the lifecycle delay (seconds) the emulator uses from now on."""

    def set_delay(seconds):
        monkeypatch.setenv(settings.ENV, str(seconds))

    return set_delay


@pytest.fixture
def finish():
    """Ends every lifecycle in progress now (what POST /stackwright-emulator/lifecycles/finish does)."""
    return lifecycle.finish_all


@pytest.fixture
def client(endpoint):
    """A boto3 client of the emulator: client("ecs")."""

    def make(service):
        return boto3.client(
            service,
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    return make
