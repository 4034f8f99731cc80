"""kubetrace.tracing.site as an AWX job runs it: ansible-runner, a private data folder, the event stream."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import time
from pathlib import Path

import ansible_runner
import pytest

RUNNER = Path(os.environ['MOLECULE_EPHEMERAL_DIRECTORY']) / 'lab' / 'runner'
PROJECT = Path(os.environ['MOLECULE_PROJECT_DIRECTORY'])


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


def on_node(name, *command):
    """Run a command on a lab node over its ssh config; its stdout."""
    lab = RUNNER.parent  # ssh hands the words to the node's shell: quote them into one command line
    result = subprocess.run(['python3', str(PROJECT / 'tests' / 'lab' / 'lab.py'), 'ssh', str(lab), name,
                             shlex.join(command)],
                            capture_output=True, text=True, check=True, timeout=120)
    return result.stdout


def test_grpc_to_4317_is_an_option(first):
    result, _stats = job('grpc', limit='jaeger1,node2', extravars={'containerd_tracing_protocol': 'grpc'})
    assert result.status == 'successful'
    dropin = on_node('node2', 'cat', '/etc/systemd/system/containerd.service.d/50-kubetrace-tracing.conf')
    assert 'OTEL_EXPORTER_OTLP_PROTOCOL=grpc' in dropin and ':4317' in dropin
    started = time.time()
    on_node('node2', 'ctr', 'version')
    deadline = started + 60
    while True:
        answer = json.loads(on_node('jaeger1', 'python3', '-c', SERVICES_SINCE, str(int(started - 5))))
        if 'node2' in answer:
            break
        assert time.time() < deadline, 'no span from node2 over gRPC within 60 s'
        time.sleep(2)


def test_badger_storage_keeps_its_files_in_the_data_folder(first):
    result, _stats = job('badger', limit='jaeger1', extravars={'jaeger_storage': 'badger'})
    assert result.status == 'successful'
    assert 'badger:' in on_node('jaeger1', 'cat', '/etc/jaeger/config.yaml')
    assert on_node('jaeger1', 'ls', '/var/lib/jaeger/keys').strip()
    assert on_node('jaeger1', 'systemctl', 'is-active', 'jaeger').strip() == 'active'


SERVICES_SINCE = """
import datetime, json, sys, urllib.request
since = datetime.datetime.fromtimestamp(int(sys.argv[1]), datetime.timezone.utc)
until = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=1)
query = "query.service_name=containerd&query.num_traces=100&query.start_time_min=%s&query.start_time_max=%s" % (
    since.strftime("%Y-%m-%dT%H:%M:%SZ"), until.strftime("%Y-%m-%dT%H:%M:%SZ"))
try:
    answer = json.load(urllib.request.urlopen("http://127.0.0.1:16686/api/v3/traces?" + query, timeout=10))
except Exception:
    answer = {}
hosts = sorted({attribute["value"]["stringValue"] for spans in answer.get("result", {}).get("resourceSpans", [])
                for attribute in spans["resource"].get("attributes", []) if attribute["key"] == "host.name"})
print(json.dumps(hosts))
"""
