"""The node side of the edit modules, run as Ansible runs it: the module file with a JSON args file."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys

import pytest

from ansible_collections.kubetrace.tracing.plugins.module_utils._node_file import backup_path
from testpaths import REPO

MODULE = REPO / 'plugins' / 'modules' / 'yaml_edit.py'


def run_module(tmp_path, **args):
    args_file = tmp_path / 'args.json'
    args_file.write_text(json.dumps({'ANSIBLE_MODULE_ARGS': args}))
    env = dict(os.environ, PYTHONPATH=str(REPO / '.collections'))
    proc = subprocess.run([sys.executable, str(MODULE), str(args_file)], capture_output=True, text=True, env=env, check=False)
    return json.loads(proc.stdout)


def write_args(path, new, old):
    return dict(path=str(path), _kubetrace_phase='write',
                _kubetrace_content=base64.b64encode(new).decode(),
                _kubetrace_original_sha256=hashlib.sha256(old).hexdigest() if old is not None else None)


def test_read_reports_content_and_attributes(tmp_path):
    path = tmp_path / 'a.yaml'
    path.write_bytes(b'a: 1\n')
    path.chmod(0o640)
    result = run_module(tmp_path, path=str(path), _kubetrace_phase='read', mode='0640')
    assert base64.b64decode(result['content']) == b'a: 1\n'
    assert result['mode'] == '0640' and result['attributes_differ'] is False
    assert run_module(tmp_path, path=str(path), _kubetrace_phase='read', mode='0600')['attributes_differ'] is True
    missing = run_module(tmp_path, path=str(tmp_path / 'nope'), _kubetrace_phase='read')
    assert missing['exists'] is False and 'failed' not in missing and 'content' not in missing


def test_read_refuses_a_folder(tmp_path):
    result = run_module(tmp_path, path=str(tmp_path), _kubetrace_phase='read')
    assert result['failed'] and result['msg'] == '%s: not a regular file; point path at the file to edit' % tmp_path


def test_write_refuses_a_file_changed_since_it_was_read(tmp_path):
    path = tmp_path / 'a.yaml'
    path.write_bytes(b'a: 2\n')
    result = run_module(tmp_path, **write_args(path, b'a: 3\n', b'a: 1\n'))
    assert result['failed'] and 'changed on the node while this task ran' in result['msg']
    assert path.read_bytes() == b'a: 2\n'
    assert sorted(os.listdir(tmp_path)) == ['a.yaml', 'args.json']


def test_write_into_a_missing_folder(tmp_path):
    path = tmp_path / 'no' / 'a.yaml'
    result = run_module(tmp_path, **write_args(path, b'a: 1\n', None))
    assert result['failed'] and result['msg'] == '%s: folder %s does not exist; create it first' % (path, path.parent)


def test_backup_beside_the_file_is_refused(tmp_path):
    path = tmp_path / 'a.yaml'
    path.write_bytes(b'a: 1\n')
    result = run_module(tmp_path, backup=True, backup_dir='/', **write_args(path, b'a: 2\n', b'a: 1\n'))
    assert result['failed'] and 'would put the backup beside the file' in result['msg']
    assert path.read_bytes() == b'a: 1\n'


def test_module_alone_says_to_use_it_as_a_task(tmp_path):
    result = run_module(tmp_path, path=str(tmp_path / 'a.yaml'))
    assert result['failed'] and 'runs through its action plugin' in result['msg']


@pytest.mark.parametrize('path', ['/etc/kubernetes/manifests/kube-apiserver.yaml', 'relative/file.toml'])
def test_backup_path_mirrors_the_file_under_backup_dir(path):
    target = backup_path(path, '/var/lib/kubetrace/backups')
    assert target.startswith('/var/lib/kubetrace/backups/' + os.path.abspath(path).lstrip('/') + '.')
    assert target.endswith('Z')
