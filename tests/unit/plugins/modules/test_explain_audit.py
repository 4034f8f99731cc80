"""explain_audit run as Ansible runs it (the module file with a JSON args file) over the lab's recorded audit
lines, split into a rotated file and the live one as kube-apiserver leaves them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from testpaths import FIXTURES, REPO

MODULE = REPO / 'plugins' / 'modules' / 'explain_audit.py'
LINES = (FIXTURES / 'explain' / 'audit.log').read_text().splitlines(keepends=True)
NAMESPACE = json.loads((FIXTURES / 'explain' / 'flow.json').read_text())['namespace']


def run_module(tmp_path, **args):
    args_file = tmp_path / 'args.json'
    args_file.write_text(json.dumps({'ANSIBLE_MODULE_ARGS': args}))
    env = dict(os.environ, PYTHONPATH=str(REPO / '.collections'))
    proc = subprocess.run([sys.executable, str(MODULE), str(args_file)], capture_output=True, text=True, env=env,
                          check=False)
    return json.loads(proc.stdout)


def test_the_live_log_and_its_rotated_files_are_read_oldest_first(tmp_path):
    rotated = tmp_path / 'audit-2026-12-01T10-00-00.000.log'
    rotated.write_text(''.join(LINES[:3]))
    os.utime(rotated, (2_000_000_000, 2_000_000_000))
    (tmp_path / 'audit.log').write_text(''.join(LINES[3:]) + '{"kind":"Event","objectRef":{"namespace":"%s"' % NAMESPACE)
    (tmp_path / 'other.log').write_text(''.join(LINES))
    result = run_module(tmp_path, path=str(tmp_path / 'audit.log'), namespace=NAMESPACE, since='2026-01-01T00:00:00Z')
    assert result['found'] is True and result['unreadable'] == 1
    assert result['files'] == [str(rotated), str(tmp_path / 'audit.log')]
    whole = run_module(tmp_path, path=str(tmp_path / 'other.log'), namespace=NAMESPACE, since='2026-01-01T00:00:00Z')
    assert result['entries'] == whole['entries'] and whole['entries']


def test_entries_before_since_are_left_out(tmp_path):
    (tmp_path / 'audit.log').write_text(''.join(LINES))
    result = run_module(tmp_path, path=str(tmp_path / 'audit.log'), namespace=NAMESPACE, since='2099-01-01T00:00:00Z')
    assert result['entries'] == []


def test_no_log_is_said_not_failed_and_a_bad_time_names_the_option(tmp_path):
    result = run_module(tmp_path, path=str(tmp_path / 'none.log'), namespace=NAMESPACE, since='2026-01-01T00:00:00Z')
    assert result['found'] is False and not result.get('failed')
    bad = run_module(tmp_path, path=str(tmp_path / 'none.log'), namespace=NAMESPACE, since='yesterday')
    assert bad['failed'] and bad['msg'] == "explain_audit: since: 'yesterday' is not an RFC 3339 time"
