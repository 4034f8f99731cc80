"""What the default scenario's test files share: the seed's question, asked once with the real kubectl."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(os.environ['MOLECULE_PROJECT_DIRECTORY'])
LAB = Path(os.environ['MOLECULE_EPHEMERAL_DIRECTORY']) / 'lab'


@pytest.fixture(scope='session')
def seed():
    """Runs tests/lab/seed.py (`kubectl create deployment demo --image=httpd --port=80`, then Ready, the page);
    yields its stdout and the report it writes (pod, uid, node, address, seconds to Ready)."""
    run = subprocess.run([sys.executable, str(PROJECT / 'tests' / 'lab' / 'seed.py'), str(LAB)],
                         capture_output=True, text=True, check=False)
    print(run.stdout[-3000:], run.stderr[-3000:])
    assert run.returncode == 0, run.stderr[-3000:]
    return run.stdout, json.loads((LAB / 'seed-demo.json').read_text())
