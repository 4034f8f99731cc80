# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to kubetrace.tracing: what the node agent's own metrics say about its sending queue.

Not a public API; it may change without notice.
"""

from __future__ import annotations

import re

COUNTERS = {
    'queue_size': 'otelcol_exporter_queue_size',
    'queue_capacity': 'otelcol_exporter_queue_capacity',
    'sent_spans': 'otelcol_exporter_sent_spans',
    'send_failed_spans': 'otelcol_exporter_send_failed_spans',
    'enqueue_failed_spans': 'otelcol_exporter_enqueue_failed_spans',
    'received_spans': 'otelcol_receiver_accepted_spans',
}


def counters(text) -> dict:
    """{name: number or None} from the Prometheus text the agent serves; series of one metric are added up
    (the receiver counts per transport); a metric the text lacks counts 0 (the collector serves a counter only once
    it has moved)."""
    found = {}
    for key, metric in COUNTERS.items():
        pattern = re.compile(r'^%s(?:_total)?(?:\{[^}]*\})?\s+(\S+)' % re.escape(metric), re.MULTILINE)
        values = [float(value) for value in pattern.findall(str(text or ''))]
        found[key] = int(sum(values))
    return found


def exports(config) -> list:
    """Where a collector configured by the otel_agent role sends, read from its configuration (a dict): one dict per
    peer with host, port, server_name and the TLS files (ca_file, cert_file, key_file), and kind: backend, gateway
    (one of a static list) or gateways (one DNS name for all of them)."""
    found = []
    for name, exporter in sorted(((config or {}).get('exporters') or {}).items()):
        exporter = exporter or {}
        if name.split('/')[0] in ('load_balancing', 'loadbalancing'):
            tls = ((exporter.get('protocol') or {}).get('otlp') or {}).get('tls') or {}
            resolver = exporter.get('resolver') or {}
            if resolver.get('dns'):
                peers = [('gateways', '%s:%s' % (resolver['dns'].get('hostname'), resolver['dns'].get('port', 4317)))]
            else:
                peers = [('gateway', endpoint) for endpoint in (resolver.get('static') or {}).get('hostnames') or []]
        elif name.startswith('otlp'):
            tls, peers = exporter.get('tls') or {}, [('backend', exporter.get('endpoint', ''))]
        else:
            continue
        for kind, endpoint in peers:
            host, _sep, port = str(endpoint).rpartition(':')
            host = host.strip('[]')
            found.append(dict(kind=kind, endpoint=str(endpoint), host=host, port=int(port) if port.isdigit() else 4317,
                              server_name=tls.get('server_name_override') or host, ca_file=tls.get('ca_file'),
                              cert_file=tls.get('cert_file'), key_file=tls.get('key_file')))
    return found
