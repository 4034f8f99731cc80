# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Summaries of what Jaeger's query API returned, for verify.yml's table."""

from __future__ import annotations

import datetime

from ansible.errors import AnsibleFilterError


def _attributes(resource: dict) -> dict:
    values = {}
    for attribute in (resource or {}).get('attributes', []):
        value = attribute.get('value', {})
        values[attribute.get('key')] = next(iter(value.values()), None) if isinstance(value, dict) else value
    return values


def _chunks(response):
    """The OTLP ``resourceSpans`` of one api_v3 GetTraces answer (one object, or a list of streamed chunks)."""
    chunks = response if isinstance(response, list) else [response]
    for chunk in chunks:
        if not isinstance(chunk, dict):
            raise AnsibleFilterError('not an api_v3 traces answer: %r' % (chunk,))
        result = chunk.get('result', chunk)
        yield from result.get('resourceSpans', [])


def span_summary(responses, host_attributes=('host.name', 'k8s.node.name', 'service.instance.id')) -> list:
    """One row per service: hosts, span count and newest span (UTC), from api_v3 GetTraces answers."""
    rows = {}
    for response in responses:
        for resource_spans in _chunks(response):
            attributes = _attributes(resource_spans.get('resource'))
            service = attributes.get('service.name') or 'unknown'
            row = rows.setdefault(service, {'service': service, 'hosts': set(), 'spans': 0, 'newest': 0})
            host = next((attributes[name] for name in host_attributes if attributes.get(name)), None)
            if host:
                row['hosts'].add(str(host))
            for scope in resource_spans.get('scopeSpans', []):
                for span in scope.get('spans', []):
                    row['spans'] += 1
                    row['newest'] = max(row['newest'], int(span.get('endTimeUnixNano') or 0))
    summary = []
    for service in sorted(rows):
        row = rows[service]
        newest = datetime.datetime.fromtimestamp(row['newest'] / 1e9, datetime.timezone.utc) if row['newest'] else None
        summary.append({'service': service, 'hosts': sorted(row['hosts']), 'spans': row['spans'],
                        'newest': newest.strftime('%Y-%m-%dT%H:%M:%SZ') if newest else None})
    return summary


def span_table(summary: list) -> list:
    """The summary as aligned text lines, for a debug message."""
    header = ('service', 'hosts', 'spans', 'newest span (UTC)')
    lines = [(row['service'], ','.join(row['hosts']) or '-', str(row['spans']), row['newest'] or '-') for row in summary]
    widths = [max(len(line[col]) for line in [header] + lines) for col in range(4)]
    return ['  '.join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in [header] + lines]


def linked_spans(responses, parent_service: str, child_service: str) -> list:
    """Spans of ``child_service`` whose parent span, in the same trace, is a span of ``parent_service``:
    one row per link (trace id, parent span name, child span name), from api_v3 GetTraces answers."""
    spans = {}
    for response in responses:
        for resource_spans in _chunks(response):
            service = _attributes(resource_spans.get('resource')).get('service.name') or 'unknown'
            for scope in resource_spans.get('scopeSpans', []):
                for span in scope.get('spans', []):
                    spans[(span.get('traceId'), span.get('spanId'))] = (service, span)
    links = []
    for (trace_id, _span_id), (service, span) in sorted(spans.items(), key=lambda item: str(item[0])):
        parent = spans.get((trace_id, span.get('parentSpanId')))
        if service == child_service and parent and parent[0] == parent_service:
            links.append({'trace_id': trace_id, 'parent': parent[1].get('name'), 'child': span.get('name')})
    return links


class FilterModule:
    """kubetrace.tracing.span_summary, span_table and linked_spans."""

    def filters(self):
        return {'span_summary': span_summary, 'span_table': span_table, 'linked_spans': linked_spans}
