# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to kubetrace.tracing: what Jaeger's api_v3 answers say, standard library only.

Used on the Jaeger host by jaeger_traces (so that only the summary crosses the wire, not every span) and on
the controller by the traces filters. An answer is OTLP JSON: ``{"result": {"resourceSpans": [...]}}``, or a
list of such chunks as Jaeger streams them.
"""

from __future__ import annotations

import datetime

HOST_ATTRIBUTES = ('host.name', 'k8s.node.name', 'service.instance.id')
SERVER_KINDS = (2, 'SPAN_KIND_SERVER')


class SpanError(Exception):
    """An answer that is not one of Jaeger's api_v3 answers."""


def attributes(holder: dict) -> dict:
    """{key: value} of an OTLP resource's or span's attributes."""
    values = {}
    for attribute in (holder or {}).get('attributes', []):
        value = attribute.get('value', {})
        values[attribute.get('key')] = next(iter(value.values()), None) if isinstance(value, dict) else value
    return values


def resource_spans(answer):
    """The OTLP ``resourceSpans`` of one answer."""
    chunks = answer if isinstance(answer, list) else [answer]
    for chunk in chunks:
        if not isinstance(chunk, dict):
            raise SpanError('not an api_v3 traces answer: %r' % (chunk,))
        yield from chunk.get('result', chunk).get('resourceSpans', [])


def _is_copy(span):
    """A span that explain.yml copied into its trace of a flow: counted where it was made, not twice."""
    return any(item.get('key') == 'kubetrace.source.trace_id' for item in span.get('attributes') or [])


def spans(answers):
    """(service, host, span) for every span of the answers, once: a trace with spans of two services comes back
    in the answer for each of them; explain's copies are left out."""
    seen = set()
    for answer in answers:
        for part in resource_spans(answer):
            found = attributes(part.get('resource'))
            service = found.get('service.name') or 'unknown'
            host = next((str(found[name]) for name in HOST_ATTRIBUTES if found.get(name)), None)
            for scope in part.get('scopeSpans', []):
                for span in scope.get('spans', []):
                    key = (span.get('traceId'), span.get('spanId'))
                    if key in seen and key != (None, None) or _is_copy(span):
                        continue
                    seen.add(key)
                    yield service, host, span


def summary(answers) -> list:
    """One row per service: hosts, span count and newest span (UTC)."""
    rows = {}
    for service, host, span in spans(answers):
        row = rows.setdefault(service, {'service': service, 'hosts': set(), 'spans': 0, 'newest': 0})
        if host:
            row['hosts'].add(host)
        row['spans'] += 1
        row['newest'] = max(row['newest'], int(span.get('endTimeUnixNano') or 0))
    result = []
    for service in sorted(rows):
        row = rows[service]
        newest = datetime.datetime.fromtimestamp(row['newest'] / 1e9, datetime.timezone.utc) if row['newest'] else None
        result.append({'service': service, 'hosts': sorted(row['hosts']), 'spans': row['spans'],
                       'newest': newest.strftime('%Y-%m-%dT%H:%M:%SZ') if newest else None})
    return result


def table(rows: list) -> list:
    """The summary as aligned text lines."""
    header = ('service', 'hosts', 'spans', 'newest span (UTC)')
    lines = [(row['service'], ','.join(row['hosts']) or '-', str(row['spans']), row['newest'] or '-') for row in rows]
    widths = [max(len(line[col]) for line in [header] + lines) for col in range(4)]
    return ['  '.join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in [header] + lines]


def links(answers, parent_service: str, child_service: str) -> list:
    """Spans of ``child_service`` whose parent span, in the same trace, is a span of ``parent_service``:
    one row per link (trace id, parent and child span names, the child's host)."""
    by_id = {}
    for service, host, span in spans(answers):
        by_id[(span.get('traceId'), span.get('spanId'))] = (service, host, span)
    found = []
    for (trace_id, _span_id), (service, host, span) in sorted(by_id.items(), key=lambda item: str(item[0])):
        parent = by_id.get((trace_id, span.get('parentSpanId')))
        if service == child_service and parent and parent[0] == parent_service:
            found.append({'trace_id': trace_id, 'parent': parent[2].get('name'), 'child': span.get('name'),
                          'host': host})
    return found


def child_report(answers, parent_service: str, child_service: str) -> dict:
    """Per host of ``child_service``: its spans, how many are gRPC server spans (one per call it served), and
    how many have a ``parent_service`` span as their parent. A containerd built without the gRPC server
    instrumentation (Debian's packages) sends spans of its own work but no server spans, so nothing links."""
    report = {}
    for service, host, span in spans(answers):
        if service == child_service:
            row = report.setdefault(host or 'unknown', {'spans': 0, 'server_spans': 0, 'linked': 0})
            row['spans'] += 1
            row['server_spans'] += span.get('kind') in SERVER_KINDS
    parent_hosts = {host for service, host, _span in spans(answers) if service == parent_service}
    for link in links(answers, parent_service, child_service):
        report.setdefault(link['host'] or 'unknown', {'spans': 0, 'server_spans': 0, 'linked': 0})['linked'] += 1
    for host, row in report.items():
        row['parent_reports'] = host in parent_hosts
    return report
