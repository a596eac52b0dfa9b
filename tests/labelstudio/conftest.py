"""A real Label Studio server for the tests of this folder: started once per session, stopped at the end.

It starts from its own venv (installed into .labelstudio/venv on first use, ~1-2 min) on a
free loopback port with an isolated data dir seeded from the cached migrated database
(built once, ~20-70 s), and its whole process group is stopped at the end.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.helpers import REPO_ROOT
from trainer.labelstudio.client import connect
from trainer.labelstudio.server import Credentials, LabelStudioError, LabelStudioServer, free_port


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """A real Label Studio on a free loopback port with its own data dir; stopped (process group) at the end."""
    data_dir = tmp_path_factory.mktemp("labelstudio-data")
    last_error = None
    for _ in range(3):  # a free port can be taken between picking and binding: retry
        instance = LabelStudioServer(port=free_port(), data_dir=data_dir, credentials=Credentials.generate())
        try:
            instance.start()
            break
        except LabelStudioError as error:
            if "port" not in str(error):
                raise
            last_error = error
    else:
        raise last_error
    print(f"Label Studio ready in {instance.startup_seconds:.1f} s at {instance.url} (log {instance.log_path})")
    yield instance
    instance.stop()


@pytest.fixture(scope="session")
def client(server):
    return connect(server.url, server.api_key)


@pytest.fixture(scope="session")
def cli(server):
    """Runs scripts/labelstudio.py against the test server (URL and token from the environment)."""
    env = {**os.environ, "LABEL_STUDIO_URL": server.url, "LABEL_STUDIO_API_KEY": server.api_key}
    script = [sys.executable, str(REPO_ROOT / "scripts" / "labelstudio.py")]
    return lambda *args: subprocess.run([*script, *args], env=env, capture_output=True, text=True, timeout=300)
