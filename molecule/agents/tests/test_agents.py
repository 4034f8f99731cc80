"""The node agents on the lab: hardened and on loopback, spans through them, nothing lost while Jaeger is away
or the agent restarts, certificate faults said in words with the node left as it was, switching off and on,
and disable.yml. The tests run in file order; the last one takes everything out."""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

INVENTORY = os.environ['MOLECULE_INVENTORY_FILE']
PROJECT = Path(os.environ['MOLECULE_PROJECT_DIRECTORY'])
CRI = 'ctr version'
SPAN = 'containerd.services.version.v1.Version/Version'
# The files whose bytes must not move when a run is refused.
NODE_FILES = ('/etc/otel-agent/config.yaml', '/etc/otel-agent/tls/ca.crt', '/etc/otel-agent/tls/client.crt',
              '/etc/systemd/system/otel-agent.service', '/etc/systemd/system/containerd.service.d/50-kubetrace-tracing.conf')

sys.path.insert(0, str(PROJECT / '.collections'))
sys.path.insert(0, str(PROJECT / 'tests' / 'lab'))
from ansible_collections.kubetrace.tracing.plugins.plugin_utils import _pki  # noqa: E402  pylint: disable=wrong-import-position
from labtest import LAB, node, playbook, said  # noqa: E402  pylint: disable=wrong-import-position
import labtest  # noqa: E402  pylint: disable=wrong-import-position

PKI = LAB / 'pki'


def http_get(name, url):
    """The body at url, fetched on the node (its nodes have python3, not curl)."""
    return node(name).check_output('python3 -c %s %s', 'import sys, urllib.request; '
                                   'print(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())', url)


def figure(key, value):
    """Keep a measured figure for the report (lab/agent-figures.json) and print it."""
    labtest.figure('agent', key, value)


COUNT = '''
import json, sys, urllib.error, urllib.parse, urllib.request
query = urllib.parse.urlencode({"query.service_name": "containerd", "query.start_time_min": sys.argv[1],
                                "query.start_time_max": sys.argv[2], "query.num_traces": "100000"})
try:
    answer = json.load(urllib.request.urlopen("http://127.0.0.1:16686/api/v3/traces?" + query, timeout=30))
except (urllib.error.HTTPError, urllib.error.URLError):
    print(json.dumps({}))
    sys.exit(0)
found = {}
for resource_spans in answer.get("result", {}).get("resourceSpans", []):
    host = [a["value"].get("stringValue") for a in resource_spans["resource"]["attributes"] if a["key"] == "host.name"]
    for scope in resource_spans["scopeSpans"]:
        for span in scope["spans"]:
            if span["name"] == sys.argv[3]:
                found.setdefault((host or ["none"])[0], set()).add(span["spanId"])
print(json.dumps({host: len(ids) for host, ids in found.items()}))
'''


def stamp(moment):
    return moment.strftime('%Y-%m-%dT%H:%M:%S.%fZ')


def arrived(since, until):
    """Version spans from node2 that Jaeger holds, started between since and until."""
    out = node('jaeger1').check_output('python3 -c %s %s %s %s', COUNT, stamp(since), stamp(until), SPAN)
    return json.loads(out).get('node2', 0)


def burst(count, seconds):
    """count `ctr version` calls on node2 over about seconds."""
    worker = node('node2')
    since = datetime.datetime.now(datetime.timezone.utc)
    for _index in range(count):
        worker.check_output(CRI)
        time.sleep(max(0.0, seconds / count - 0.05))
    return since, datetime.datetime.now(datetime.timezone.utc)


def wait_for(since, until, count, timeout):
    deadline = time.monotonic() + timeout
    while True:
        got = arrived(since, until)
        if got >= count or time.monotonic() > deadline:
            return got
        time.sleep(3)


def fingerprint():
    out = node('node2').run('sha256sum ' + ' '.join(NODE_FILES)).stdout
    pid = node('node2').check_output('systemctl show -p MainPID --value otel-agent')
    return out, pid


def test_the_agent_runs_hardened_as_its_user_on_loopback_only():
    agent = node('node2')
    assert agent.service('otel-agent').is_running and agent.service('otel-agent').is_enabled
    assert agent.process.get(comm='otelcol-kubetra').user == 'otel-agent'
    assert agent.socket('tcp://127.0.0.1:4317').is_listening and agent.socket('tcp://127.0.0.1:4318').is_listening
    assert not agent.socket('tcp://0.0.0.0:4317').is_listening and not agent.socket('tcp://0.0.0.0:4318').is_listening
    shown = dict(line.split('=', 1) for line in agent.check_output(
        'systemctl show otel-agent --property=User,NoNewPrivileges,ProtectSystem,CapabilityBoundingSet,'
        'ReadWritePaths,MemoryMax').splitlines())
    assert shown['User'] == 'otel-agent' and shown['NoNewPrivileges'] == 'yes' and shown['ProtectSystem'] == 'strict'
    assert shown['CapabilityBoundingSet'] == '' and shown['ReadWritePaths'] == '/var/lib/otel-agent'
    assert shown['MemoryMax'] == str(256 * 1024 * 1024)
    assert 'Server available' in http_get('node2', 'http://127.0.0.1:13134/')
    for name, unit in (('node2', 'otel-agent'), ('jaeger1', 'jaeger')):
        score = node(name).run('systemd-analyze security --no-pager %s.service' % unit).stdout.strip().splitlines()[-1]
        figure('systemd-analyze security %s' % unit, score)


def test_components_point_at_the_agent_and_spans_arrive_through_it_with_host_name():
    dropin = node('node2').file('/etc/systemd/system/containerd.service.d/50-kubetrace-tracing.conf').content_string
    assert 'OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318' in dropin
    since, until = burst(5, 2)
    assert wait_for(since, until, 5, 60) == 5
    jaeger = node('jaeger1')
    # TLS on the network, plaintext only on loopback
    assert jaeger.socket('tcp://0.0.0.0:4317').is_listening and jaeger.socket('tcp://127.0.0.1:14317').is_listening
    assert not jaeger.socket('tcp://0.0.0.0:14317').is_listening


def test_spans_made_while_jaeger_is_down_60_s_arrive_after_it_returns():
    calls = 60
    since, until = burst(calls, 20)
    baseline = wait_for(since, until, calls, 60)
    jaeger = node('jaeger1')
    jaeger.check_output('systemctl stop jaeger')
    began = time.monotonic()
    try:
        since, until = burst(calls, 55)
        time.sleep(max(0.0, 60 - (time.monotonic() - began)))
        queued = http_get('node2', 'http://127.0.0.1:8888/metrics')
    finally:
        jaeger.check_output('systemctl start jaeger')
    outage = time.monotonic() - began
    got = wait_for(since, until, calls, 90)
    queue = [line for line in queued.splitlines() if line.startswith('otelcol_exporter_queue_size')]
    figure('outage', {'seconds_down': round(outage), 'baseline_sent': calls, 'baseline_arrived': baseline,
                      'outage_sent': calls, 'outage_arrived': got, 'queue_at_end_of_outage': queue})
    assert baseline == calls
    assert got == calls, '%d of %d spans made during the outage arrived' % (got, calls)


def agent_listening_again():
    """Restart the agent; (seconds until it takes spans again, when the restart began)."""
    began = time.monotonic()
    node('node2').check_output('systemctl restart otel-agent')
    node('node2').check_output('python3 -c %s', 'import socket, time\nfor _ in range(300):\n    try:\n'
                               '        socket.create_connection(("127.0.0.1", 4318), 1).close(); break\n'
                               '    except OSError:\n        time.sleep(0.05)')
    return time.monotonic() - began, began


def test_spans_sent_while_the_agent_restarts_mid_burst_arrive():
    """A restart in the middle of a burst: everything the agent had taken arrives; the only spans that may not are
    those still in containerd's own half-second batch when the port closed (its exporter does not retry a refused
    connection), which this counts and bounds."""
    calls, seconds, moments, restart = 40, 16, [], {}
    worker = node('node2')
    since = datetime.datetime.now(datetime.timezone.utc)
    for index in range(calls):
        if index == calls // 2:
            restart['seconds'], restart['began'] = agent_listening_again()
        worker.check_output(CRI)
        moments.append(time.monotonic())
        time.sleep(seconds / calls)
    until = datetime.datetime.now(datetime.timezone.utc)
    got = wait_for(since, until, calls, 90)
    # containerd's batch: calls made within its export delay (0.5 s) and one round trip before the port closed
    in_batch = sum(1 for moment in moments if restart['began'] - 1.0 < moment < restart['began'])
    figure('agent restart mid-burst', {'sent': calls, 'arrived': got, 'agent_down_seconds': round(restart['seconds'], 2),
                                       'in_containerds_batch_at_restart': in_batch})
    assert calls - in_batch <= got <= calls


def test_the_queue_on_disk_outlives_an_agent_restart_while_jaeger_is_away():
    calls = 20
    jaeger = node('jaeger1')
    jaeger.check_output('systemctl stop jaeger')
    try:
        since, until = burst(calls, 8)
        time.sleep(2)    # containerd's last batch reaches the agent, which cannot send it on
        agent_listening_again()
    finally:
        jaeger.check_output('systemctl start jaeger')
    got = wait_for(since, until, calls, 90)
    figure('agent restart with its queue on disk during an outage', {'sent': calls, 'arrived': got})
    assert got == calls


# Runs on node2: OTLP/HTTP JSON to the agent at a rate, for some seconds; samples the agent's queue meanwhile.
LOAD = '''
import json, os, sys, time, urllib.request
rate, seconds, batch = int(sys.argv[1]), float(sys.argv[2]), 1000
def span(now):
    return {"traceId": os.urandom(16).hex(), "spanId": os.urandom(8).hex(), "name": "load", "kind": 2,
            "startTimeUnixNano": str(now), "endTimeUnixNano": str(now + 1000000)}
def queue():
    text = urllib.request.urlopen("http://127.0.0.1:8888/metrics", timeout=5).read().decode()
    return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith("otelcol_exporter_queue_size"))
sent, peak, began, next_sample = 0, 0.0, time.monotonic(), 0.0
while time.monotonic() - began < seconds:
    if sent >= rate * (time.monotonic() - began):
        time.sleep(0.005)
        continue
    now = time.time_ns()
    body = json.dumps({"resourceSpans": [{"resource": {"attributes": [{"key": "service.name",
            "value": {"stringValue": "load"}}]}, "scopeSpans": [{"spans": [span(now) for _ in range(batch)]}]}]})
    urllib.request.urlopen(urllib.request.Request("http://127.0.0.1:4318/v1/traces", body.encode(),
                           {"Content-Type": "application/json"}), timeout=10).read()
    sent += batch
    if time.monotonic() > next_sample:
        peak, next_sample = max(peak, queue()), time.monotonic() + 0.5
print(json.dumps({"sent": sent, "seconds": round(time.monotonic() - began, 1), "peak_queue": peak}))
'''


def test_agent_cpu_memory_and_the_rate_at_which_it_queues():
    """Figures: the agent's CPU and memory per offered span rate, and the rate from which its queue fills
    (the backend, one Jaeger with a memory store on the same two cores, no longer keeps up)."""
    worker = node('node2')
    pid = worker.check_output('systemctl show -p MainPID --value otel-agent')
    ticks = int(worker.check_output('getconf CLK_TCK'))

    def cpu():
        fields = worker.check_output('cat /proc/%s/stat' % pid).rsplit(')', 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / ticks
    steps = []
    for rate in (1000, 5000, 20000, 60000):
        before, began = cpu(), time.monotonic()
        result = json.loads(worker.check_output('python3 -c %s %s 10', LOAD, str(rate)))
        wall = time.monotonic() - began
        rss = int(worker.check_output("awk '/VmRSS/ {print $2}' /proc/%s/status" % pid))
        steps.append({'offered_spans_per_s': rate, 'achieved_spans_per_s': round(result['sent'] / result['seconds']),
                      'agent_cpu_percent_of_one_core': round(100 * (cpu() - before) / wall, 1),
                      'agent_rss_mib': round(rss / 1024, 1), 'peak_queue_batches': result['peak_queue']})
        time.sleep(5)   # let the queue drain before the next step
    queued_at = [step['achieved_spans_per_s'] for step in steps if step['peak_queue_batches'] > 4]
    figure('agent under load', {'steps': steps, 'queues_from_spans_per_s': queued_at[0] if queued_at else None})
    assert all(step['agent_rss_mib'] < 256 for step in steps)
    assert all(step['achieved_spans_per_s'] > 0 for step in steps)


def test_verify_says_node2_sends_through_its_agent():
    # containerd work of the last moments (the load test above filled Jaeger's memory store with its own spans)
    since, until = burst(3, 1)
    assert wait_for(since, until, 3, 60) == 3
    run = playbook('playbooks/verify.yml')
    assert run.returncode == 0
    assert 'node2: through its agent, to the backend; TLS to' in said(run) and 'works; its certificate is valid until' in said(run)


def expect_refused(words, *extra):
    before = fingerprint()
    run = playbook('playbooks/site.yml', '--limit', 'node2', *extra)
    assert run.returncode != 0
    assert words in said(run), 'the failure does not say %r' % words
    assert fingerprint() == before, 'node2 changed although the run was refused'
    assert node('node2').service('containerd').is_running and node('node2').service('otel-agent').is_running
    text = said(run)
    start = text.index('TLS to', max(0, text.index(words) - 300))
    return text[start:text.index(words) + len(words) + 200]


def test_a_ca_that_did_not_sign_the_backends_certificate_is_refused_in_words(tmp_path):
    _pki.ensure(tmp_path / 'other', 'another CA', [])
    words = expect_refused('was not signed by the CA the agent trusts', '-e', 'otel_agent_tls_ca_src=%s' % (
        tmp_path / 'other' / 'ca.crt'), '-e', 'otel_agent_tls_cert_src=%s' % (PKI / 'node2-client.crt'),
        '-e', 'otel_agent_tls_key_src=%s' % (PKI / 'node2-client.key'))
    figure('fault wrong CA', words)


def test_a_name_the_backends_certificate_does_not_hold_is_refused_in_words():
    words = expect_refused('does not hold the name wrong.example', '-e', 'otel_agent_server_name=wrong.example')
    figure('fault name mismatch', words)


def test_an_expired_backend_certificate_is_refused_and_verify_says_so(tmp_path):
    from cryptography.hazmat.primitives import serialization  # pylint: disable=import-outside-toplevel
    from cryptography import x509  # pylint: disable=import-outside-toplevel
    ca = x509.load_pem_x509_certificate((PKI / 'ca.crt').read_bytes())
    key = serialization.load_pem_private_key((PKI / 'ca.key').read_bytes(), password=None)
    names = _pki.cert_names(x509.load_pem_x509_certificate((PKI / 'jaeger-server.crt').read_bytes()))
    past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=3)
    cert, cert_key = _pki.make_cert(ca, key, 'jaeger-server', names, 'server', not_before=past,
                                    not_after=past + datetime.timedelta(days=1))
    (tmp_path / 'expired.crt').write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / 'expired.key').write_bytes(_pki._key_pem(cert_key))  # pylint: disable=protected-access
    jaeger = node('jaeger1')
    jaeger.check_output('cp -p /etc/jaeger/tls/server.crt /root/server.crt.good && cp -p /etc/jaeger/tls/server.key /root/server.key.good')
    try:
        for name in ('crt', 'key'):
            subprocess.run(['ansible', '-i', INVENTORY, 'jaeger1', '-m', 'ansible.builtin.copy', '-a',
                            'src=%s dest=/etc/jaeger/tls/server.%s' % (tmp_path / ('expired.' + name), name)],
                           check=True, capture_output=True, cwd=PROJECT)
        jaeger.check_output('systemctl restart jaeger && sleep 2')
        words = expect_refused("the backend's certificate has expired")
        figure('fault expired certificate', words)
        run = playbook('playbooks/verify.yml')
        assert run.returncode != 0 and "node2: its agent cannot send" in said(run)
        assert "the backend's certificate has expired" in said(run)
    finally:
        jaeger.check_output('cp -p /root/server.crt.good /etc/jaeger/tls/server.crt && '
                            'cp -p /root/server.key.good /etc/jaeger/tls/server.key && systemctl restart jaeger')


def test_an_expired_client_certificate_is_refused_by_the_backend_and_said(tmp_path):
    from cryptography.hazmat.primitives import serialization  # pylint: disable=import-outside-toplevel
    from cryptography import x509  # pylint: disable=import-outside-toplevel
    ca = x509.load_pem_x509_certificate((PKI / 'ca.crt').read_bytes())
    key = serialization.load_pem_private_key((PKI / 'ca.key').read_bytes(), password=None)
    past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=3)
    cert, cert_key = _pki.make_cert(ca, key, 'node2-client', [], 'client', not_before=past,
                                    not_after=past + datetime.timedelta(days=1))
    (tmp_path / 'client.crt').write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / 'client.key').write_bytes(_pki._key_pem(cert_key))  # pylint: disable=protected-access
    words = expect_refused("refused the agent's client certificate", '-e', 'otel_agent_tls_ca_src=%s' % (PKI / 'ca-bundle.crt'),
                           '-e', 'otel_agent_tls_cert_src=%s' % (tmp_path / 'client.crt'),
                           '-e', 'otel_agent_tls_key_src=%s' % (tmp_path / 'client.key'))
    figure('fault expired client certificate (mTLS)', words)


def test_a_dry_run_of_site_and_disable_changes_nothing_on_any_host():
    before = fingerprint(), node('jaeger1').check_output('sha256sum /etc/jaeger/config.yaml /etc/jaeger/tls/*')
    for path in ('playbooks/site.yml', 'playbooks/disable.yml'):
        run = playbook(path, '--check', '--diff')
        assert run.returncode == 0, path
    assert (fingerprint(), node('jaeger1').check_output('sha256sum /etc/jaeger/config.yaml /etc/jaeger/tls/*')) == before


def changed_count(run):
    return sum(int(part.split('=')[1]) for line in run.stdout.splitlines() if ' : ok=' in line
               for part in line.split() if part.startswith('changed='))


def test_switching_agents_off_and_on_is_idempotent_and_puts_each_endpoint_back():
    dropin = '/etc/systemd/system/containerd.service.d/50-kubetrace-tracing.conf'
    address = json.loads(subprocess.run(['ansible-inventory', '-i', INVENTORY, '--host', 'jaeger1'], check=True,
                                        capture_output=True, text=True).stdout)['ansible_host']
    off = playbook('playbooks/site.yml', '-e', 'kubetrace_agent=false')
    assert off.returncode == 0
    worker = node('node2')
    assert 'OTEL_EXPORTER_OTLP_ENDPOINT=http://%s:4318' % address in worker.file(dropin).content_string
    assert not worker.file('/etc/systemd/system/otel-agent.service').exists
    assert not worker.file('/etc/otel-agent').exists and not worker.file('/var/lib/otel-agent').exists
    again = playbook('playbooks/site.yml', '-e', 'kubetrace_agent=false')
    assert again.returncode == 0 and changed_count(again) == 0
    on = playbook('playbooks/site.yml')
    assert on.returncode == 0
    assert 'OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318' in worker.file(dropin).content_string
    assert worker.service('otel-agent').is_running
    again = playbook('playbooks/site.yml')
    assert again.returncode == 0 and changed_count(again) == 0


def test_disable_removes_the_agent_and_every_setting():
    run = playbook('playbooks/disable.yml')
    assert run.returncode == 0
    worker = node('node2')
    for path in ('/etc/systemd/system/otel-agent.service', '/etc/otel-agent', '/var/lib/otel-agent', '/opt/otel-agent',
                 '/etc/systemd/system/containerd.service.d/50-kubetrace-tracing.conf'):
        assert not worker.file(path).exists, path
    original = (LAB / 'originals' / 'node2' / 'etc' / 'containerd' / 'config.toml').read_bytes()
    assert hashlib.sha256(worker.file('/etc/containerd/config.toml').content).hexdigest() == \
        hashlib.sha256(original).hexdigest()
    assert worker.service('containerd').is_running
    # a dry run on a node without an agent (as a fresh one) passes and writes nothing
    dry = playbook('playbooks/site.yml', '--check', '--diff', '--limit', 'node2')
    assert dry.returncode == 0
    assert not worker.file('/etc/otel-agent').exists and not worker.file('/opt/otel-agent').exists
