#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: explain_spans
short_description: Fetch from Jaeger the native traces of one flow, waiting until they stop changing
version_added: 0.3.0
description:
  - Runs on the Jaeger host and asks its api_v3 query API for the traces of O(services) between O(since) and
    O(until), keeping the traces that hold a span of one of O(audit_ids) (attribute C(audit-id), the apiserver's
    requests) or of one of O(pod_uids) (attribute C(k8s.pod.uid), the kubelet's syncs), with every span in them
    (etcd's under the apiserver's, containerd's under the kubelet's).
  - Components send their spans in batches, seconds late, so it asks again every O(interval) seconds until every
    pod of O(pod_uids) has a trace and the spans found have not changed for O(settle) seconds, or O(timeout)
    seconds have passed (RV(settled) says which; a kubelet that samples below every sync makes it wait that long).
  - A Jaeger it cannot reach fails the task with the reason; explain.yml turns that into the line naming the
    missing source.
  - Changes nothing, so it runs in check mode too. Standard library only.
options:
  query_url:
    description: Jaeger's query endpoint, as the Jaeger host reaches it.
    type: str
    default: http://127.0.0.1:16686
  services:
    description: Services whose traces are searched (the apiserver's and the kubelet's hold the others).
    type: list
    elements: str
    default: [apiserver, kubelet]
  since:
    description: Start of the window (RFC 3339).
    type: str
    required: true
  until:
    description: End of the window (RFC 3339); default now and a minute.
    type: str
  audit_ids:
    description: Audit ids of the requests of the flow.
    type: list
    elements: str
    default: []
  pod_uids:
    description: Uids of the flow's pods.
    type: list
    elements: str
    default: []
  num_traces:
    description: At most this many traces per service and round; RV(capped) says when a service gave that many.
    type: int
    default: 2000
  settle:
    description: Seconds without a new span after which the picture counts as complete.
    type: float
    default: 6
  interval:
    description: Seconds between two rounds of asking.
    type: float
    default: 2
  timeout:
    description: Seconds to wait at most.
    type: float
    default: 45
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: posix
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
author:
  - kubetrace.tracing contributors (@kubetrace)
'''

EXAMPLES = r'''
- name: Fetch the apiserver's and the kubelet's traces of the flow
  kubetrace.tracing.explain_spans:
    since: "2026-12-01T10:00:00Z"
    audit_ids: "{{ audit.entries | map(attribute='audit_id') | list }}"
    pod_uids: [4a1e0c36-8a44-4d2e-9f57-2d1b0e0f3c11]
  register: spans
'''

RETURN = r'''
spans:
  description: The spans of the flow's traces, flat - C(trace_id), C(span_id), C(parent_id), C(service), C(host),
    C(name), C(kind), C(start) and C(end) (ns), C(attributes), C(resource).
  returned: always
  type: list
  elements: dict
settled:
  description: Whether every pod had a trace and the spans stopped changing before O(timeout).
  returned: always
  type: bool
waited:
  description: Seconds spent asking.
  returned: always
  type: float
capped:
  description: Services that returned O(num_traces) traces in a round (some may be left out; narrow the window).
  returned: always
  type: list
  elements: str
'''

import json
import time
import urllib.error
import urllib.parse

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import open_url

from ansible_collections.kubetrace.tracing.plugins.module_utils import _flow


def ask(params, since, until):
    spans, capped = [], []
    for service in params['services']:
        query = urllib.parse.urlencode({'query.service_name': service, 'query.num_traces': params['num_traces'],
                                        'query.start_time_min': since, 'query.start_time_max': until})
        url = '%s/api/v3/traces?%s' % (params['query_url'], query)
        try:
            with open_url(url, timeout=30, use_proxy=False) as answer:      # Jaeger's own query port, no proxy
                found = _flow.flat_spans(json.loads(answer.read() or b'{}'))
        except urllib.error.HTTPError as error:
            if error.code == 404:       # api_v3 answers 404 when no trace matches
                continue
            raise
        if len({span['trace_id'] for span in found}) >= params['num_traces']:
            capped.append(service)
        spans.extend(found)
    return _flow.relevant_traces(spans, params['audit_ids'], params['pod_uids']), capped


def main():
    module = AnsibleModule(argument_spec=dict(
        query_url=dict(type='str', default='http://127.0.0.1:16686'),
        services=dict(type='list', elements='str', default=['apiserver', 'kubelet']),
        since=dict(type='str', required=True),
        until=dict(type='str'),
        audit_ids=dict(type='list', elements='str', default=[]),
        pod_uids=dict(type='list', elements='str', default=[]),
        num_traces=dict(type='int', default=2000),
        settle=dict(type='float', default=6),
        interval=dict(type='float', default=2),
        timeout=dict(type='float', default=45),
    ), supports_check_mode=True)
    params = module.params
    params['query_url'] = params['query_url'].rstrip('/')
    try:
        since = _flow.iso(_flow.parse_time(params['since']))
        until = _flow.iso(_flow.parse_time(params['until'])) if params['until'] else None
    except _flow.FlowError as error:
        module.fail_json(msg='explain_spans: %s' % error)
    started = time.monotonic()
    last_change, seen, spans, capped = started, None, [], []
    while True:
        window_end = until or _flow.iso(time.time_ns() + 60 * 10 ** 9)
        try:
            spans, capped = ask(params, since, window_end)
        except (OSError, ValueError) as error:
            module.fail_json(msg='cannot ask Jaeger at %s: %s' % (params['query_url'], getattr(error, 'reason', error)))
        except _flow.FlowError as error:
            module.fail_json(msg='Jaeger at %s answered something that is not api_v3: %s' % (params['query_url'], error))
        now = time.monotonic()
        key = frozenset((span['trace_id'], span['span_id']) for span in spans)
        if key != seen:
            seen, last_change = key, now
        # a kubelet's batch may come after the apiserver's: quiet alone is not enough while a pod has no sync yet
        synced = {span['attributes'].get('k8s.pod.uid') for span in spans}
        settled = bool(key) and set(params['pod_uids']) <= synced and now - last_change >= params['settle']
        if settled or now - started + params['interval'] > params['timeout']:
            break
        time.sleep(params['interval'])
    module.exit_json(changed=False, spans=spans, settled=settled, waited=round(time.monotonic() - started, 1),
                     capped=capped)


if __name__ == '__main__':
    main()
