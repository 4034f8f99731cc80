"""--check --diff of site.yml and disable.yml on every host, before the real run (prepare.yml) and after it:
each passes, shows the diffs a real run would make, and changes nothing (files' bytes, components' processes)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

PROJECT = Path(os.environ['MOLECULE_PROJECT_DIRECTORY'])
INVENTORY = os.environ['MOLECULE_INVENTORY_FILE']
LAB = Path(os.environ['MOLECULE_EPHEMERAL_DIRECTORY']) / 'lab'
sys.path.insert(0, str(PROJECT / 'tests' / 'lab'))

import snapshot  # noqa: E402  pylint: disable=wrong-import-position


def recap(output):
    """{host: {'changed': n, 'failed': n, ...}} from a play recap."""
    return {host: {key: int(value) for key, value in re.findall(r'(\w+)=(\d+)', rest)}
            for host, rest in re.findall(r'^(\S+)\s+:\s+(ok=.*)$', output, re.MULTILINE)}


def dry_run(playbook):
    run = subprocess.run(['ansible-playbook', '-i', INVENTORY, str(PROJECT / playbook), '--check', '--diff'],
                         capture_output=True, text=True, check=False, cwd=PROJECT,
                         env=dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0'))
    print(run.stdout[-3000:], run.stderr[-2000:])
    return run


def test_before_the_real_run_the_dry_runs_pass_show_the_change_and_change_nothing():
    said = json.loads((LAB / 'dry-run-before.json').read_text())
    assert said['runs'] == {'site': 0, 'disable': 0}, said['output']['site'][-3000:] + said['output']['disable'][-3000:]
    assert snapshot.changes(said['before'], said['after']) == []
    site = said['output']['site']
    for host, words in [('cp1', '+    - --tracing-config-file=/etc/kubernetes/tracing/apiserver-tracing.yaml'),
                        ('cp1', '+    - --enable-distributed-tracing=true'),
                        ('cp1', '+  samplingRatePerMillion: 1000000'),
                        ('node1', '+[plugins."io.containerd.tracing.processor.v1.otlp"]'),
                        ('node2', '+Environment="OTEL_SERVICE_NAME=containerd"')]:
        assert words in site, '%s: the dry run does not show %r' % (host, words)
    counts = recap(site)
    assert set(counts) >= {'jaeger1', 'cp1', 'node1', 'node2', 'node3'}
    assert all(count['failed'] == 0 and count['unreachable'] == 0 for count in counts.values())
    assert counts['cp1']['changed'] > 0 and counts['node3']['changed'] == 0
    assert all(count['changed'] == 0 for count in recap(said['output']['disable']).values()), 'nothing to undo yet'


def test_after_the_real_run_site_has_nothing_left_to_do_and_disable_shows_its_undo():
    before = snapshot.snapshot(LAB)
    site = dry_run('site.yml')
    assert site.returncode == 0
    assert all(count['changed'] == 0 for count in recap(site.stdout).values()), 'a dry run after converge changes nothing'
    disable = dry_run('playbooks/disable.yml')
    assert disable.returncode == 0
    assert '-    - --tracing-config-file=/etc/kubernetes/tracing/apiserver-tracing.yaml' in disable.stdout
    assert '-  endpoint: ' in disable.stdout
    assert recap(disable.stdout)['cp1']['changed'] > 0
    assert snapshot.changes(before, snapshot.snapshot(LAB)) == []
