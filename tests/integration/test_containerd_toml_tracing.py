"""The TOML path producing spans: containerd 1.7.15 (built from its module), which reads its tracing settings only
from config.toml (1.7.16 and later read OTEL_* variables instead), with a version 1 config (plugins named by their
short ids), its tracing keys written by toml_edit as the containerd role writes them, sending to a real Jaeger."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request

import containerd
import jaeger

from ansible_collections.kubetrace.tracing.plugins.module_utils import _version_policy

VERSION = 'v1.7.15'
CONFIG_V1 = '''version = 1
root = "{tmp}/root"
state = "{tmp}/state"
disabled_plugins = ["cri"]

[grpc]
  address = "{tmp}/containerd.sock"

[ttrpc]
  address = "{tmp}/containerd.sock.ttrpc"
'''


def spans_of(ports, service):
    now = time.time()
    query = urllib.parse.urlencode({
        'query.service_name': service, 'query.num_traces': 50,
        'query.start_time_min': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(now - 600)),
        'query.start_time_max': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(now + 60))})
    try:
        with urllib.request.urlopen('http://127.0.0.1:%d/api/v3/traces?%s' % (ports['query_http'], query), timeout=5) as answer:
            body = json.load(answer)
    except OSError:
        return []
    return [span['name'] for part in body['result']['resourceSpans'] for scope in part['scopeSpans']
            for span in scope['spans']]


def test_a_toml_only_containerd_sends_spans_with_the_keys_the_role_writes(play, tmp_path):
    assert _version_policy.containerd_tracing_mechanisms(VERSION) == ['toml']
    folder = containerd.source(VERSION)
    with jaeger.running(jaeger.binary()) as ports:
        config = tmp_path / 'config.toml'
        config.write_text(CONFIG_V1)
        keys = _version_policy.containerd_tracing_keys(1, '127.0.0.1:%d' % ports['otlp_http'], 'http/protobuf', 1.0,
                                                       'containerd-toml-only')
        edit = play('kubetrace.tracing.toml_edit', {'path': str(config), 'set': keys})
        assert edit.result['changed'] is True
        assert '[plugins.otlp]' in config.read_text() and 'io.containerd' not in config.read_text()
        with containerd.running(folder, config_text=config.read_text()) as address:
            deadline = time.monotonic() + 60
            seen = []
            while not seen and time.monotonic() < deadline:
                containerd.ctr(folder, address, 'version')
                containerd.ctr(folder, address, 'namespaces', 'ls')
                time.sleep(2)
                seen = spans_of(ports, 'containerd-toml-only')
    assert seen, 'no span from containerd %s within 60 s' % VERSION
    assert any(name.startswith('containerd.services.') or '/' in name for name in seen), seen
