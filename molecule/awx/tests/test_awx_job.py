"""kubetrace.tracing.site as an AWX job runs it: ansible-runner, a private data folder, the event stream."""

from __future__ import annotations

import json
import os
from pathlib import Path

import ansible_runner
import pytest

RUNNER = Path(os.environ['MOLECULE_EPHEMERAL_DIRECTORY']) / 'lab' / 'runner'


def job(ident, **options):
    """Run the site playbook of the installed collection, as a job template on site.yml would."""
    result = ansible_runner.run(private_data_dir=str(RUNNER), playbook='kubetrace.tracing.site', ident=ident,
                                quiet=True, **options)
    stats = next(event['event_data'] for event in result.events if event['event'] == 'playbook_on_stats')
    return result, stats


@pytest.fixture(scope='module')
def first():
    return job('first')


def test_the_job_runs_the_installed_collections_playbook(first):
    result, _stats = first
    command = json.loads((RUNNER / 'artifacts' / 'first' / 'command').read_text())['command']
    assert command[0] == 'ansible-playbook' and command[-1] == 'kubetrace.tracing.site'
    assert result.status == 'successful' and result.rc == 0


def test_the_event_stream_has_per_host_results_as_the_job_page_shows_them(first):
    _result, stats = first
    assert sorted(stats['ok']) == ['jaeger1', 'node1', 'node2', 'node3']
    assert not stats['failures'] and not stats['dark']
    assert stats['changed']['jaeger1'] > 0 and stats['changed']['node1'] > 0 and stats['changed']['node2'] > 0
    assert 'node3' not in stats['changed']


def test_a_second_job_changes_nothing(first):
    result, stats = job('second')
    assert result.status == 'successful'
    assert not stats['changed'] and not stats['failures']


def test_a_rollback_shows_in_the_event_stream(first):
    result, stats = job('rollback', limit='jaeger1,node2',
                        extravars={'containerd_tracing_extra_env': {'GOMEMLIMIT': 'lots'}})
    assert result.status == 'failed' and stats['failures'] == {'node2': 1}
    failed = [event['event_data'] for event in result.events if event['event'] == 'runner_on_failed']
    assert len(failed) == 1 and failed[0]['host'] == 'node2'
    message = failed[0]['res']['msg']
    assert 'so it was rolled back' in message and 'it answers again' in message
