"""What the molecule scenarios' test files share: a lab node through testinfra, a playbook of the collection run
against the scenario's inventory, a run's words, and a measured figure kept for the report.

Read from the environment molecule's verifier sets: MOLECULE_INVENTORY_FILE, MOLECULE_PROJECT_DIRECTORY and
MOLECULE_EPHEMERAL_DIRECTORY (the lab is its lab/ folder)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import testinfra

INVENTORY = os.environ.get('MOLECULE_INVENTORY_FILE', '')
PROJECT = Path(os.environ.get('MOLECULE_PROJECT_DIRECTORY', Path(__file__).resolve().parents[2]))
LAB = Path(os.environ.get('MOLECULE_EPHEMERAL_DIRECTORY', '.')) / 'lab'


def node(name):
    return testinfra.get_host('ansible://' + name, ansible_inventory=INVENTORY)


def playbook(path, *args):
    """ansible-playbook PROJECT/path on the scenario's inventory, its output's tail printed."""
    run = subprocess.run(['ansible-playbook', '-i', INVENTORY, str(PROJECT / path), *args],
                         capture_output=True, text=True, check=False, cwd=PROJECT,
                         env=dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0'))
    print(run.stdout[-5000:], run.stderr[-2000:])
    return run


def said(run):
    """The run's output with its line wrapping undone."""
    return ' '.join((run.stdout + run.stderr).split())


def figure(name, key, value):
    """Keep a measured figure in LAB/<name>-figures.json, for the report, and print it."""
    path = LAB / ('%s-figures.json' % name)
    known = json.loads(path.read_text()) if path.exists() else {}
    known[key] = value
    path.write_text(json.dumps(known, indent=2) + '\n')
    print('FIGURE %s: %s' % (key, json.dumps(value)))
