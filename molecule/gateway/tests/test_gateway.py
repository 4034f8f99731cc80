"""The gateway tier on the lab: node2's agent balances over gw1 and gw2 by trace id, every span of a trace passes one
gateway, a gateway away for 30 s loses nothing, verify.yml names the path, a dry run changes nothing, and
disable.yml takes both tiers out. The tests run in file order; the last one takes everything out."""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(os.environ['MOLECULE_PROJECT_DIRECTORY']) / 'tests' / 'lab'))
from labtest import INVENTORY, LAB, node, playbook, said  # noqa: E402  pylint: disable=wrong-import-position
import labtest  # noqa: E402  pylint: disable=wrong-import-position

GATEWAYS = ('gw1', 'gw2')
SERVICES = ('gwtest-front', 'gwtest-middle', 'gwtest-back')


def figure(key, value):
    """Keep a measured figure for the report (lab/gateway-figures.json) and print it."""
    labtest.figure('gateway', key, value)


def address(name):
    return json.loads(subprocess.run(['ansible-inventory', '-i', INVENTORY, '--host', name], check=True,
                                     capture_output=True, text=True).stdout)['ansible_host']


# Runs on node2: `count` traces of three spans (front > middle > back, one service each), sent to the node agent in
# three waves of separate OTLP/HTTP requests 1.5 s apart, so that each trace's spans reach the agent in different
# batches; prints the trace ids.
TRACES = '''
import json, os, sys, time, urllib.request
count, services = int(sys.argv[1]), sys.argv[2:]
traces = [(os.urandom(16).hex(), [os.urandom(8).hex() for _ in services]) for _ in range(count)]
for level, service in enumerate(services):
    now = time.time_ns()
    spans = [{"traceId": trace, "spanId": ids[level], "parentSpanId": ids[level - 1] if level else "",
              "name": "step %d" % level, "kind": 2, "startTimeUnixNano": str(now), "endTimeUnixNano": str(now + 10**6)}
             for trace, ids in traces]
    body = json.dumps({"resourceSpans": [{"resource": {"attributes": [{"key": "service.name",
            "value": {"stringValue": service}}]}, "scopeSpans": [{"spans": spans}]}]})
    urllib.request.urlopen(urllib.request.Request("http://127.0.0.1:4318/v1/traces", body.encode(),
                           {"Content-Type": "application/json"}), timeout=10).read()
    time.sleep(1.5)
print(json.dumps([trace for trace, _ids in traces]))
'''

# Runs on jaeger1: every trace of a service in a window, as {trace id: {spans, copies, gateways, hosts}}: its distinct
# spans, how many of them Jaeger holds more than once (a batch sent twice), and the gateways and hosts they came by.
FOUND = '''
import json, sys, urllib.error, urllib.parse, urllib.request
query = urllib.parse.urlencode({"query.service_name": sys.argv[1], "query.start_time_min": sys.argv[2],
                                "query.start_time_max": sys.argv[3], "query.num_traces": "100000"})
try:
    answer = json.load(urllib.request.urlopen("http://127.0.0.1:16686/api/v3/traces?" + query, timeout=30))
except (urllib.error.HTTPError, urllib.error.URLError):
    answer = {}
spans, gateways, hosts, records = {}, {}, {}, {}
for resource_spans in answer.get("result", {}).get("resourceSpans", []):
    attributes = {a["key"]: a["value"].get("stringValue") for a in resource_spans["resource"]["attributes"]}
    for scope in resource_spans["scopeSpans"]:
        for span in scope.get("spans", []):
            trace = span["traceId"]
            spans.setdefault(trace, set()).add(span["spanId"])
            records[trace] = records.get(trace, 0) + 1
            gateways.setdefault(trace, set()).add(attributes.get("kubetrace.gateway", "none"))
            hosts.setdefault(trace, set()).add(attributes.get("host.name", "none"))
print(json.dumps({trace: {"spans": len(ids), "copies": records[trace] - len(ids), "gateways": sorted(gateways[trace]),
                          "hosts": sorted(hosts[trace])}
                  for trace, ids in spans.items()}))
'''


def stamp(moment):
    return moment.strftime('%Y-%m-%dT%H:%M:%S.%fZ')


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def found(service, since, until):
    return json.loads(node('jaeger1').check_output('python3 -c %s %s %s %s', FOUND, service, stamp(since), stamp(until)))


def send_traces(count):
    """count three-span traces from node2; (their ids, the window they were made in)."""
    since = now() - datetime.timedelta(seconds=1)
    ids = json.loads(node('node2').check_output('python3 -c %s %s' + ' %s' * len(SERVICES), TRACES, str(count), *SERVICES))
    return ids, since, now() + datetime.timedelta(seconds=1)


def wait_for_traces(ids, since, until, timeout):
    """What Jaeger holds of the traces ids once each has its three spans, or at the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        got = {trace: seen for trace, seen in found(SERVICES[0], since, until).items() if trace in ids}
        if (len(got) == len(ids) and all(seen['spans'] == len(SERVICES) for seen in got.values())) \
                or time.monotonic() > deadline:
            return got
        time.sleep(3)


def spread(got):
    """Traces per gateway, and the traces whose spans went through more than one."""
    per_gateway = {name: sum(1 for seen in got.values() if seen['gateways'] == [name]) for name in GATEWAYS}
    split = [trace for trace, seen in got.items() if len(seen['gateways']) != 1]
    return per_gateway, split, sum(seen['copies'] for seen in got.values())


def test_gateways_take_tls_on_their_address_and_the_agent_balances_over_them_by_trace_id():
    for name in GATEWAYS:
        gateway = node(name)
        assert gateway.service('otel-agent').is_running and gateway.service('otel-agent').is_enabled
        assert gateway.process.get(comm='otelcol-kubetra').user == 'otel-agent'
        assert gateway.socket('tcp://0.0.0.0:4317').is_listening
        assert not gateway.socket('tcp://127.0.0.1:4318').is_listening
        config = yaml.safe_load(gateway.file('/etc/otel-agent/config.yaml').content_string)
        tls = config['receivers']['otlp']['protocols']['grpc']['tls']
        assert tls['client_ca_file'] == '/etc/otel-agent/tls/ca.crt'   # mutual TLS: only agents of the CA
        assert config['exporters']['otlp_grpc/backend']['endpoint'] == '%s:4317' % address('jaeger1')
        assert 'resource/gateway' in config['service']['pipelines']['traces']['processors']
    agent = yaml.safe_load(node('node2').file('/etc/otel-agent/config.yaml').content_string)
    balancer = agent['exporters']['load_balancing/gateways']
    assert balancer['routing_key'] == 'traceID'
    assert balancer['resolver']['static']['hostnames'] == ['%s:4317' % address(name) for name in GATEWAYS]
    assert balancer['sending_queue']['storage'] == 'file_storage/queue'
    assert agent['service']['pipelines']['traces']['exporters'] == ['load_balancing/gateways']


def test_every_span_of_a_trace_goes_through_one_gateway_and_both_gateways_carry_traffic():
    ids, since, until = send_traces(60)
    got = wait_for_traces(ids, since, until, 60)
    per_gateway, split, copies = spread(got)
    figure('balance', {'traces': len(ids), 'arrived_whole': sum(1 for seen in got.values() if seen['spans'] == 3),
                       'traces_per_gateway': per_gateway, 'traces_split_over_gateways': len(split),
                       'spans_held_twice': copies})
    assert len(got) == len(ids) and all(seen['spans'] == 3 for seen in got.values())
    assert copies == 0
    assert not split, 'traces whose spans went through more than one gateway: %s' % split[:5]
    assert all(per_gateway[name] > 0 for name in GATEWAYS), per_gateway
    assert all(seen['hosts'] == ['node2'] for seen in got.values())
    # containerd's own spans take the same path, marked with the gateway and node2's host.name
    began = now()
    for _index in range(5):
        node('node2').check_output('ctr version')
    deadline, containerd = time.monotonic() + 60, {}
    while time.monotonic() < deadline and len(containerd) < 5:
        time.sleep(3)
        containerd = found('containerd', began, now())
    assert len(containerd) >= 5
    assert all(seen['hosts'] == ['node2'] and len(seen['gateways']) == 1 and seen['gateways'][0] in GATEWAYS
               for seen in containerd.values())


def test_spans_made_while_a_gateway_is_away_30_s_arrive_after_it_returns():
    gateway = node('gw1')
    gateway.check_output('systemctl stop otel-agent')
    began = time.monotonic()
    try:
        ids, since, until = send_traces(40)
        time.sleep(max(0.0, 30 - (time.monotonic() - began)))
        queued = node('node2').check_output('python3 -c %s', 'import urllib.request; print(urllib.request.urlopen('
                                            '"http://127.0.0.1:8888/metrics", timeout=10).read().decode())')
    finally:
        gateway.check_output('systemctl start otel-agent')
    away = time.monotonic() - began
    got = wait_for_traces(ids, since, until, 90)
    per_gateway, split, copies = spread(got)
    arrived = sum(seen['spans'] for seen in got.values())
    queue = [line for line in queued.splitlines() if line.startswith('otelcol_exporter_queue_size')]
    figure('gateway outage', {'seconds_away': round(away), 'spans_sent': len(ids) * 3, 'spans_arrived': arrived,
                              'spans_held_twice': copies, 'traces_per_gateway': per_gateway,
                              'queue_at_end_of_outage': queue})
    assert arrived == len(ids) * 3, '%d of %d spans made while gw1 was away arrived' % (arrived, len(ids) * 3)
    assert not split and per_gateway['gw1'] > 0
    # the parts of a batch the other gateway took were not sent again while gw1's part was retried
    assert copies == 0


def test_verify_says_node2_sends_through_the_gateway_tier():
    began = now()
    for _index in range(3):
        node('node2').check_output('ctr version')
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(found('containerd', began, now())) < 3:
        time.sleep(3)
    run = playbook('playbooks/verify.yml')
    assert run.returncode == 0
    words = said(run)
    assert 'node2: through its agent, to the gateway tier (%s:4317, %s:4317), balanced by trace id; TLS to' \
        % (address('gw1'), address('gw2')) in words
    for name in GATEWAYS:
        assert '%s: a gateway, sends to the backend; TLS to %s:4317' % (name, address('jaeger1')) in words


def fingerprints():
    return {name: node(name).run('sha256sum /etc/otel-agent/config.yaml /etc/otel-agent/tls/* '
                                 '/etc/systemd/system/otel-agent.service').stdout for name in GATEWAYS + ('node2',)}


def test_a_dry_run_of_site_and_disable_changes_nothing_on_any_host():
    before = fingerprints()
    for path in ('playbooks/site.yml', 'playbooks/disable.yml'):
        run = playbook(path, '--check', '--diff')
        assert run.returncode == 0, path
    assert fingerprints() == before


def test_disable_removes_the_gateways_and_the_agent():
    run = playbook('playbooks/disable.yml')
    assert run.returncode == 0
    for name in GATEWAYS + ('node2',):
        host = node(name)
        for path in ('/etc/systemd/system/otel-agent.service', '/etc/otel-agent', '/var/lib/otel-agent', '/opt/otel-agent'):
            assert not host.file(path).exists, (name, path)
    original = (LAB / 'originals' / 'node2' / 'etc' / 'containerd' / 'config.toml').read_bytes()
    assert hashlib.sha256(node('node2').file('/etc/containerd/config.toml').content).hexdigest() == \
        hashlib.sha256(original).hexdigest()
    assert node('node2').service('containerd').is_running
    # a dry run on hosts without a collector (as fresh ones) passes and writes nothing
    dry = playbook('playbooks/site.yml', '--check', '--diff', '--limit', 'gw1,gw2,node2')
    assert dry.returncode == 0
    for name in GATEWAYS + ('node2',):
        assert not node(name).file('/etc/otel-agent').exists and not node(name).file('/opt/otel-agent').exists
