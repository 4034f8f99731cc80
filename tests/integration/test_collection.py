"""The collection as users get it: built, installed, documented, and usable from a plain clone."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import tarfile

import pytest

from playrunner import BIN
from testpaths import REPO

MODULES = ('yaml_edit', 'toml_edit', 'static_pod', 'component_facts')
# Read from the plugins themselves, so that a filter added without its sidecar page fails here.
FILTERS = sorted(name for path in (REPO / 'plugins' / 'filter').glob('*.py')
                 for name in importlib.import_module('ansible_collections.kubetrace.tracing.plugins.filter.'
                                                     + path.stem).FilterModule().filters())


def command(args, cwd, env=None, check=True):
    environment = {name: value for name, value in os.environ.items() if not name.startswith('ANSIBLE_')}
    proc = subprocess.run(args, cwd=cwd, env=dict(environment, ANSIBLE_NOCOLOR='1', **(env or {})),
                          capture_output=True, text=True, timeout=300, check=False)
    if check:
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


@pytest.fixture(scope='module')
def installed(tmp_path_factory):
    """The collection built with ansible-galaxy and installed into an empty collections path."""
    work = tmp_path_factory.mktemp('galaxy')
    command([str(BIN / 'ansible-galaxy'), 'collection', 'build', str(REPO), '--output-path', str(work)], cwd=work)
    tarball = work / 'kubetrace-tracing-0.1.0.tar.gz'
    with tarfile.open(tarball) as archive:
        names = archive.getnames()
    assert 'plugins/module_utils/_yaml_doc.py' in names and 'plugins/plugin_utils/_edit_action.py' in names
    assert not [name for name in names if name.startswith(('.collections', 'tests/fixtures/kubeadm/../', '.venv'))]
    command([str(BIN / 'ansible-galaxy'), 'collection', 'install', str(tarball), '-p', str(work / 'collections')],
            cwd=work)
    (work / 'ansible.cfg').write_text('[defaults]\n')
    return work


@pytest.mark.parametrize('module', MODULES)
def test_ansible_doc_shows_each_installed_module(installed, module):
    env = {'ANSIBLE_COLLECTIONS_PATH': str(installed / 'collections'), 'ANSIBLE_CONFIG': str(installed / 'ansible.cfg')}
    doc = command([str(BIN / 'ansible-doc'), '--json', 'kubetrace.tracing.' + module], cwd=installed, env=env)
    entry = json.loads(doc.stdout)['kubetrace.tracing.' + module]
    assert entry['doc']['short_description'] and entry['examples'] and entry['return']
    text = command([str(BIN / 'ansible-doc'), 'kubetrace.tracing.' + module], cwd=installed, env=env).stdout
    assert 'EXAMPLES' in text and 'RETURN VALUES' in text


@pytest.mark.parametrize('name', FILTERS)
def test_ansible_doc_shows_each_installed_filter(installed, name):
    env = {'ANSIBLE_COLLECTIONS_PATH': str(installed / 'collections'), 'ANSIBLE_CONFIG': str(installed / 'ansible.cfg')}
    doc = command([str(BIN / 'ansible-doc'), '-t', 'filter', '--json', 'kubetrace.tracing.' + name], cwd=installed, env=env)
    entry = json.loads(doc.stdout)['kubetrace.tracing.' + name]
    assert entry['doc']['short_description'] and entry['examples'] and entry['return']


def test_every_filter_page_names_a_filter():
    # ansible-doc never shows a page whose filter is gone, so a stale one would go unnoticed
    pages = {path.stem for path in (REPO / 'plugins' / 'filter').glob('*.yml')}
    assert pages - set(FILTERS) == set()


@pytest.mark.parametrize('role', ['jaeger', 'etcd', 'apiserver', 'containerd', 'kubelet'])
def test_ansible_doc_shows_each_role_from_its_argument_spec(installed, role):
    env = {'ANSIBLE_COLLECTIONS_PATH': str(installed / 'collections'), 'ANSIBLE_CONFIG': str(installed / 'ansible.cfg')}
    text = command([str(BIN / 'ansible-doc'), '-t', 'role', 'kubetrace.tracing.' + role], cwd=installed, env=env).stdout
    assert 'ENTRY POINT: *main*' in text and role + '_' in text


def test_installed_collection_edits_a_file(installed, node):
    target = installed / 'config.toml'
    target.write_text('version = 2\n')
    env = {'ANSIBLE_COLLECTIONS_PATH': str(installed / 'collections'), 'ANSIBLE_CONFIG': str(installed / 'ansible.cfg')}
    args = json.dumps({'path': str(target),
                       'set': {'plugins."io.containerd.internal.v1.tracing".service_name': 'containerd'}})
    run = command([str(BIN / 'ansible'), 'node', '-i', 'node,', '-c', 'local', '-e',
                   'ansible_python_interpreter=' + node.python, '-m', 'kubetrace.tracing.toml_edit', '-a', args],
                  cwd=installed, env=env)
    assert 'CHANGED' in run.stdout
    assert target.read_text() == 'version = 2\n\n[plugins."io.containerd.internal.v1.tracing"]\nservice_name = "containerd"\n'


def test_ad_hoc_call_from_the_clone_without_installing(node):
    run = command([str(BIN / 'ansible'), 'node', '-i', 'node,', '-c', 'local', '-e',
                   'ansible_python_interpreter=' + node.python, '-m', 'kubetrace.tracing.component_facts',
                   '-a', 'manifest_dir=%s' % (REPO / 'tests' / 'fixtures' / 'kubeadm' / 'v1.37.2')],
                  cwd=REPO)
    assert '"runs_as": "static_pod"' in run.stdout and '"version": "1.37.2"' in run.stdout
