"""What AWX / Automation Controller and Galaxy need: the EE context, the survey, project sync, the changelog."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
import yaml

from playrunner import BIN
from testpaths import REPO

GALAXY = yaml.safe_load((REPO / 'galaxy.yml').read_text())
TARBALL = 'kubetrace-tracing-%s.tar.gz' % GALAXY['version']


def run(args, cwd, **env):
    environment = {name: value for name, value in os.environ.items() if not name.startswith('ANSIBLE_')}
    proc = subprocess.run(args, cwd=cwd, env=dict(environment, **env), capture_output=True, text=True,
                          timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def role_option(role, name):
    spec = yaml.safe_load((REPO / 'roles' / role / 'meta' / 'argument_specs.yml').read_text())
    return spec['argument_specs']['main']['options'][name]


def test_ansible_builder_creates_the_execution_environment_context(tmp_path):
    for name in ('execution-environment.yml', 'requirements.txt'):
        shutil.copy(REPO / name, tmp_path / name)
    run([str(BIN / 'ansible-galaxy'), 'collection', 'build', str(REPO), '--output-path', str(tmp_path)], tmp_path,
        ANSIBLE_CONFIG=str(REPO / 'ansible.cfg'))
    run([str(BIN / 'ansible-builder'), 'create', '-f', 'execution-environment.yml', '-c', 'context'], tmp_path)
    context = tmp_path / 'context'
    recipe = next(context / name for name in ('Containerfile', 'Dockerfile') if (context / name).exists()).read_text()
    assert 'ansible-galaxy collection install' in recipe
    assert (context / '_build' / 'collection' / TARBALL).exists()
    assert yaml.safe_load((context / '_build' / 'requirements.yml').read_text()) == \
        {'collections': [{'name': 'collection/' + TARBALL, 'type': 'file'}]}
    python = (context / '_build' / 'requirements.txt').read_text()
    assert 'ruamel.yaml' in python and 'tomlkit' in python


SURVEY = json.loads((REPO / 'awx' / 'survey.json').read_text())


@pytest.mark.parametrize('question', SURVEY['spec'], ids=[q['variable'] for q in SURVEY['spec']])
def test_survey_questions_agree_with_the_roles(question):
    variable = question['variable']
    if variable == 'kubetrace_state':
        for role, option in (('jaeger', 'jaeger_state'), ('containerd', 'containerd_tracing_state'),
                             ('etcd', 'etcd_tracing_state'), ('apiserver', 'apiserver_tracing_state'),
                             ('kubelet', 'kubelet_tracing_state')):
            assert question['choices'] == role_option(role, option)['choices']
            assert question['default'] == role_option(role, option)['default']
    elif variable == 'containerd_tracing_sampling_ratio':
        option = role_option('containerd', variable)
        assert question['type'] == option['type'] == 'float'
        assert (question['min'], question['max'], question['default']) == (0, 1, option['default'])
    elif variable.endswith('_tracing_sampling_rate_per_million'):
        option = role_option(variable.split('_')[0], variable)
        assert question['type'] == 'integer' and option['type'] == 'int'
        assert (question['min'], question['max'], question['default']) == (0, 1000000, option['default'])
    else:
        assert variable.startswith('kubetrace_')
        mentioned = list((REPO / 'playbooks').iterdir()) + list((REPO / 'roles').rglob('*.yml'))
        assert any(variable in path.read_text() for path in mentioned), variable + ' is used nowhere'
    assert question['question_name'] and question['question_description']


def test_project_sync_installs_the_collection_from_the_checkout(tmp_path):
    (tmp_path / 'ansible.cfg').write_text('[defaults]\n')
    run([str(BIN / 'ansible-galaxy'), 'collection', 'install', '-r', 'collections/requirements.yml', '-p',
         str(tmp_path / 'collections')], REPO, ANSIBLE_CONFIG=str(tmp_path / 'ansible.cfg'))
    installed = tmp_path / 'collections' / 'ansible_collections' / 'kubetrace' / 'tracing'
    assert (installed / 'playbooks' / 'site.yml').exists() and (installed / 'roles' / 'containerd').exists()
    assert not (installed / '.collections').exists()


def test_antsibull_changelog_generates_the_changelog_from_the_fragments(tmp_path):
    files = subprocess.run(['git', 'ls-files', '--cached', '--others', '--exclude-standard'], cwd=REPO,
                           capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        if name.startswith(('changelogs/', 'galaxy.yml', 'plugins/', 'roles/', 'meta/')) and (REPO / name).is_file():
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(REPO / name, tmp_path / name)
    fragments = [yaml.safe_load(path.read_text()) for path in (tmp_path / 'changelogs' / 'fragments').glob('*.yml')]
    run([str(BIN / 'antsibull-changelog'), 'release', '--version', GALAXY['version'], '--date', '2026-11-26'], tmp_path,
        PATH='%s:%s' % (BIN, os.environ['PATH']))
    changelog = (tmp_path / 'CHANGELOG.md').read_text().replace('\\', '')  # markdown escapes
    for fragment in fragments:
        for entries in fragment.values():
            for entry in entries:
                assert ' '.join(entry.split())[:60] in ' '.join(changelog.split())
