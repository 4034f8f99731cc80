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
