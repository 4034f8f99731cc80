"""Figures for explain's join (a benchmark, not a test: it prints, it asserts nothing).

Joins a busy cluster's share of sources: 100,000 audit log lines (the lab's real lines about the explained
namespace, tests/fixtures/explain/audit.log, among copies of them about other namespaces) and 10,000 spans (the
recorded traces of the flow among copies with other trace ids and pod uids), as explain.yml does it: the audit
lines read and filtered as explain_audit reads them on the node, the spans kept as explain_spans keeps them on the
Jaeger host, then the join and the waterfall on the controller. Prints seconds and peak memory of each part
(target: under 2 s for the whole join).

    .venv/bin/python tests/bench/explain_bench.py [--lines 100000] [--spans 10000]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tracemalloc
import uuid
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parents[2] / '.collections')]

from ansible_collections.kubetrace.tracing.plugins.module_utils import _flow  # noqa: E402
from testpaths import FIXTURES  # noqa: E402

HERE = FIXTURES / 'explain'


def sources(lines_wanted, spans_wanted):
    recorded = json.loads((HERE / 'flow.json').read_text())
    own = (HERE / 'audit.log').read_text().splitlines()
    namespace = recorded['namespace']
    lines = list(own)
    copy = 0
    while len(lines) < lines_wanted:
        copy += 1
        for line in own:
            lines.append(line.replace(namespace, 'other-%d' % copy).replace('"auditID":"', '"auditID":"%d-' % copy))
            if len(lines) == lines_wanted:
                break
    answers = json.loads((HERE / 'traces.json').read_text())
    spans = _flow.flat_spans(answers)
    texts, count, copy = [json.dumps(answers)], len(spans), 0
    while count < spans_wanted:
        copy += 1
        text = texts[0]
        for trace in {span['trace_id'] for span in spans}:
            text = text.replace(trace, uuid.uuid4().hex)
        for uid in {span['attributes'].get(key) for span in spans for key in ('k8s.pod.uid', 'audit-id')} - {None}:
            text = text.replace(uid, str(uuid.uuid4()))
        texts.append(text)
        count += len(spans)
    return recorded, lines, [json.loads(text) for text in texts], count


def measure(label, function, *args):
    tracemalloc.start()
    started = time.perf_counter()
    result = function(*args)
    seconds = time.perf_counter() - started
    _size, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print('%-44s %7.3f s  peak %6.1f MB' % (label, seconds, peak / 2 ** 20))
    return result, seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--lines', type=int, default=100_000)
    parser.add_argument('--spans', type=int, default=10_000)
    args = parser.parse_args()
    recorded, lines, answers, span_count = sources(args.lines, args.spans)
    command = {key: recorded[key] for key in ('namespace', 'host')}
    command.update(text=recorded['command'], started=recorded['started'])
    objects = json.loads((HERE / 'objects.json').read_text())
    items = [item for item in objects if item.get('kind') != 'Event']
    events = [item for item in objects if item.get('kind') == 'Event']
    print('%d audit lines, %d spans in %d answers' % (len(lines), span_count, len(answers)))
    (entries, _bad), read = measure('audit lines read and filtered (node)', _flow.read_audit_lines, lines,
                                    recorded['namespace'])
    pods = [item['metadata']['uid'] for item in items if item['kind'] == 'Pod']
    audit_ids = [entry['audit_id'] for entry in entries]
    spans, kept = measure('spans flattened and kept (Jaeger host)',
                          lambda: _flow.relevant_traces(_flow.flat_spans(answers), audit_ids, pods))
    flow, joined = measure('join (controller)', _flow.join, command, items, events, entries, spans)
    _lines, shown = measure('waterfall (controller)', _flow.waterfall, flow)
    print('%-44s %7.3f s  (%d audit entries and %d spans of the flow, %d steps)'
          % ('total', read + kept + joined + shown, len(entries), len(spans), len(flow['steps'])))


if __name__ == '__main__':
    main()
