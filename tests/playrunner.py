"""Run one task of the collection through a real ansible-playbook against this machine as the node.

Used by the integration tests and the benchmark. The node's Python is a virtualenv of the system
python3 without site packages, so none of ruamel.yaml, tomlkit or PyYAML can be imported there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from testpaths import REPO

BIN = Path(sys.executable).parent
CALLBACKS = REPO / 'tests' / 'integration' / 'callback_plugins'
NOBODY = 65534


def system_python() -> str:
    return '/usr/bin/python3' if os.path.exists('/usr/bin/python3') else getattr(sys, '_base_executable', sys.executable)


@dataclass
class Node:
    """A node interpreter: ``python`` runs modules, ``folder`` is world-readable scratch space."""
    python: str
    folder: Path

    @property
    def python_as_nobody(self) -> str:
        return str(self.folder / 'python-as-nobody')


def make_node() -> Node:
    """A stdlib-only node interpreter in a fresh world-readable folder under /tmp (remove it after)."""
    folder = Path(tempfile.mkdtemp(prefix='kubetrace-node-', dir='/tmp'))
    folder.chmod(0o755)
    subprocess.run([system_python(), '-m', 'venv', '--without-pip', str(folder / 'venv')], check=True)
    python = folder / 'venv' / 'bin' / 'python3'
    wrapper = folder / 'python-as-nobody'
    wrapper.write_text('#!/bin/sh\nexec setpriv --reuid=%d --regid=%d --clear-groups %s "$@"\n'
                       % (NOBODY, NOBODY, python))
    wrapper.chmod(0o755)
    return Node(str(python), folder)


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


def run_task(work: Path, python: str, module: str, args: dict, check=False, diff=False, extra_tasks=(),
             register=None) -> Run:
    """Run ``module`` with ``args`` as the first task of a play; count its executions on the node."""
    playbook = work / 'play.json'
    playbook.write_text(json.dumps([{'hosts': 'node', 'gather_facts': False,
                                     'tasks': [dict({'name': 'under test', module: args},
                                                    **({'register': register} if register else {})),
                                               *extra_tasks]}]))
    inventory = work / 'inventory.ini'
    inventory.write_text('node ansible_connection=local ansible_python_interpreter=%s\n' % python)
    results = work / 'results.jsonl'
    if results.exists():
        results.unlink()
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / 'ansible.cfg'), ANSIBLE_CALLBACK_PLUGINS=str(CALLBACKS),
               ANSIBLE_CALLBACKS_ENABLED='record_results', ANSIBLE_PIPELINING='1',
               ANSIBLE_INJECT_FACT_VARS='false', ANSIBLE_NOCOLOR='1', KUBETRACE_RESULTS=str(results),
               ANSIBLE_LOCAL_TEMP=str(work / 'ansible-local'))
    command = [str(BIN / 'ansible-playbook'), '-i', str(inventory), str(playbook), '-vvv']
    command += ['--check'] if check else []
    command += ['--diff'] if diff else []
    proc = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    executions = sum(1 for line in proc.stdout.splitlines() if ' EXEC ' in line and python in line)
    recorded = [json.loads(line) for line in results.read_text().splitlines()] if results.exists() else []
    if not recorded:
        raise AssertionError('no task result was recorded:\n%s\n%s' % (proc.stdout[-4000:], proc.stderr[-4000:]))
    return Run(recorded, proc.stdout, executions, proc.returncode)


RENDER = '''
- name: Render a role's template with its defaults and vars
  hosts: "{{{{ target }}}}"
  connection: local
  gather_facts: false
  vars_files: [{role}/defaults/main.yml, {role}/vars/main.yml]
  tasks:
    - name: Render it
      ansible.builtin.template:
        src: {role}/templates/config.yaml.j2
        dest: "{{{{ out }}}}"
        mode: "0644"
'''


def render_role_config(work: Path, role: str, extra: dict, inventory: str = 'localhost,', target: str = 'localhost'):
    """The role's templates/config.yaml.j2 rendered to work/config.yaml by a real ansible-playbook, with the role's
    defaults, vars and the extra variables, for target in inventory; the CompletedProcess."""
    (work / 'render.yml').write_text(RENDER.format(role=REPO / 'roles' / role))
    extra = dict({'out': str(work / 'config.yaml'), 'target': target}, **extra)
    return subprocess.run([str(BIN / 'ansible-playbook'), '-i', inventory, str(work / 'render.yml'),
                           '-e', json.dumps(extra), '-e', 'ansible_python_interpreter=%s' % sys.executable],
                          cwd=REPO, capture_output=True, text=True, check=False,
                          env=dict(os.environ, ANSIBLE_CONFIG=str(REPO / 'ansible.cfg'), ANSIBLE_NOCOLOR='1'))
