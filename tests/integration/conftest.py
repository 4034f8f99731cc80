"""Run tasks of the collection through a real ansible-playbook, against this machine as the node.

The node's Python is a virtualenv of the system python3 without site packages, so none of
ruamel.yaml, tomlkit or PyYAML can be imported there: what runs on the node is stdlib only.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from testpaths import REPO
HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
NOBODY = 65534


def _system_python() -> str:
    return '/usr/bin/python3' if os.path.exists('/usr/bin/python3') else getattr(sys, '_base_executable', sys.executable)


@dataclass
class Node:
    """A node interpreter: ``python`` runs modules, ``folder`` is world-readable scratch space."""
    python: str
    folder: Path


@pytest.fixture(scope='session')
def node():
    folder = Path(tempfile.mkdtemp(prefix='kubetrace-node-', dir='/tmp'))
    folder.chmod(0o755)
    subprocess.run([_system_python(), '-m', 'venv', '--without-pip', str(folder / 'venv')], check=True)
    python = folder / 'venv' / 'bin' / 'python3'
    as_nobody = folder / 'python-as-nobody'
    as_nobody.write_text('#!/bin/sh\nexec setpriv --reuid=%d --regid=%d --clear-groups %s "$@"\n'
                         % (NOBODY, NOBODY, python))
    as_nobody.chmod(0o755)
    yield Node(str(python), folder)
    shutil.rmtree(folder)


@dataclass
class Run:
    results: list
    stdout: str
    executions: int
    rc: int

    @property
    def result(self) -> dict:
        """The result of the task under test (the first task)."""
        return self.results[0]['result']


@pytest.fixture
def play(node, tmp_path):
    """play(module, args, check=False, diff=False, as_nobody=False) -> Run."""
    def run(module, args, check=False, diff=False, as_nobody=False, extra_tasks=()):
        python = str(node.folder / 'python-as-nobody') if as_nobody else node.python
        task = {'name': 'under test', module: args}
        playbook = tmp_path / 'play.json'
        playbook.write_text(json.dumps([{'hosts': 'node', 'gather_facts': False,
                                         'tasks': [task, *extra_tasks]}]))
        inventory = tmp_path / 'inventory.ini'
        inventory.write_text('node ansible_connection=local ansible_python_interpreter=%s\n' % python)
        results = tmp_path / 'results.jsonl'
        if results.exists():
            results.unlink()
        env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / 'ansible.cfg'),
                   ANSIBLE_CALLBACK_PLUGINS=str(HERE / 'callback_plugins'),
                   ANSIBLE_CALLBACKS_ENABLED='record_results', ANSIBLE_PIPELINING='1',
                   ANSIBLE_INJECT_FACT_VARS='false', ANSIBLE_NOCOLOR='1', KUBETRACE_RESULTS=str(results),
                   ANSIBLE_LOCAL_TEMP=str(tmp_path / 'ansible-local'))
        command = [str(BIN / 'ansible-playbook'), '-i', str(inventory), str(playbook), '-vvv']
        if check:
            command.append('--check')
        if diff:
            command.append('--diff')
        proc = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
        executions = sum(1 for line in proc.stdout.splitlines() if ' EXEC ' in line and python in line)
        recorded = [json.loads(line) for line in results.read_text().splitlines()] if results.exists() else []
        assert recorded, 'no task result was recorded:\n%s\n%s' % (proc.stdout[-4000:], proc.stderr[-4000:])
        return Run(recorded, proc.stdout, executions, proc.returncode)
    return run
