#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: jaeger_traces
short_description: Ask Jaeger which services sent spans, from which hosts, and which traces cross services
version_added: 0.2.0
description:
  - Runs on the Jaeger host and asks its api_v3 query API (C(/api/v3/services), C(/api/v3/traces)) about the last
    O(minutes); only the summary comes back, not the spans.
  - Waits up to O(timeout) seconds until everything the task expects is there - spans from each of
    O(expect_services) and, for each pair of O(expect_links), a span of the child service whose parent is a span of
    the parent service - since each component sends its spans in batches of its own, on its own schedule.
  - A Jaeger that does not serve api_v3 (answers 404) fails the task, saying so.
  - Changes nothing, so it runs in check mode too. Standard library only.
options:
  query_url:
    description: Jaeger's query endpoint, as the Jaeger host reaches it.
    type: str
    default: http://127.0.0.1:16686
  minutes:
    description: How far back to look.
    type: int
    default: 15
  num_traces:
    description: At most this many traces per service.
    type: int
    default: 1000
  expect_services:
    description: Services that must have sent spans.
    type: list
    elements: str
    default: []
  expect_links:
    description: Pairs of parent and child service (C(apiserver), C(etcd)) that must share a trace, the child's span under the parent's.
    type: list
    elements: dict
    default: []
    suboptions:
      parent:
        description: The calling service.
        type: str
        required: true
      child:
        description: The called service.
        type: str
        required: true
  timeout:
    description: Seconds to wait for everything expected; 0 asks once.
    type: int
    default: 30
  interval:
    description: Seconds between two rounds of asking.
    type: float
    default: 3
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
- name: Wait for spans of all four components and an apiserver trace that reaches into etcd
  kubetrace.tracing.jaeger_traces:
    expect_services: [apiserver, etcd, kubelet, containerd]
    expect_links:
      - {parent: apiserver, child: etcd}
      - {parent: kubelet, child: containerd}
    timeout: 60
  register: seen
'''

RETURN = r'''
services:
  description: Every service Jaeger has spans from.
  returned: always
  type: list
  elements: str
  sample: [apiserver, containerd, etcd, kubelet]
summary:
  description: One row per service - C(service), C(hosts), C(spans) and C(newest) (UTC).
  returned: always
  type: list
  elements: dict
links:
  description:
    - Per pair of O(expect_links) (C(parent>child)) - C(count), C(traces), C(examples) (trace id, parent and child span
      name, child host) and C(hosts), per host of the child service its C(spans), C(server_spans) (one per call it
      served) and C(linked), and whether the parent service reports from that host (C(parent_reports)).
  returned: always
  type: dict
missing:
  description: What was expected and did not come within O(timeout), in words.
  returned: always
  type: list
  elements: str
window:
  description: The time window asked about (RFC 3339, UTC).
  returned: always
  type: dict
  sample: {from: '2026-12-01T10:00:00Z', to: '2026-12-01T10:15:00Z'}
'''

import datetime
import json
import time
import urllib.error
import urllib.parse

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import open_url

from ansible_collections.kubetrace.tracing.plugins.module_utils import _spans


class NoApiV3(Exception):
    pass


def get(url):
    try:
        with open_url(url, timeout=20, use_proxy=False) as answer:      # Jaeger's own query port, no proxy
            return answer.status, json.loads(answer.read() or b'{}')
    except urllib.error.HTTPError as error:
        return error.code, {}


def ask(params, since, until):
    status, listed = get(params['query_url'] + '/api/v3/services')
    if status == 404:
        raise NoApiV3()
    if status != 200:
        raise OSError('GET %s/api/v3/services answered %d' % (params['query_url'], status))
    services = sorted(listed.get('services') or [])
    answers = []
    for service in services:
        query = urllib.parse.urlencode({'query.service_name': service, 'query.num_traces': params['num_traces'],
                                        'query.start_time_min': since, 'query.start_time_max': until})
        status, answer = get(params['query_url'] + '/api/v3/traces?' + query)
        if status == 200:
            answers.append(answer)
    return services, answers


def look(params, services, answers):
    summary = _spans.summary(answers)
    reporting = {row['service'] for row in summary if row['spans']}
    missing = ['no spans from %s' % service for service in params['expect_services'] if service not in reporting]
    links = {}
    for pair in params['expect_links']:
        found = _spans.links(answers, pair['parent'], pair['child'])
        links['%s>%s' % (pair['parent'], pair['child'])] = {
            'count': len(found), 'traces': len({link['trace_id'] for link in found}), 'examples': found[:5],
            'hosts': _spans.child_report(answers, pair['parent'], pair['child'])}
        if not found and pair['parent'] in reporting and pair['child'] in reporting:
            missing.append('no %s span has a %s span as its parent' % (pair['child'], pair['parent']))
    return dict(services=services, summary=summary, links=links, missing=missing)


def main():
    module = AnsibleModule(argument_spec=dict(
        query_url=dict(type='str', default='http://127.0.0.1:16686'),
        minutes=dict(type='int', default=15),
        num_traces=dict(type='int', default=1000),
        expect_services=dict(type='list', elements='str', default=[]),
        expect_links=dict(type='list', elements='dict', default=[], options=dict(
            parent=dict(type='str', required=True), child=dict(type='str', required=True))),
        timeout=dict(type='int', default=30),
        interval=dict(type='float', default=3),
    ), supports_check_mode=True)
    params = module.params
    params['query_url'] = params['query_url'].rstrip('/')
    started = time.monotonic()
    while True:
        now = datetime.datetime.now(datetime.timezone.utc)
        since = (now - datetime.timedelta(minutes=params['minutes'])).strftime('%Y-%m-%dT%H:%M:%SZ')
        until = (now + datetime.timedelta(seconds=5)).strftime('%Y-%m-%dT%H:%M:%SZ')
        try:
            seen = look(params, *ask(params, since, until))
        except NoApiV3:
            module.fail_json(msg='Jaeger at %s does not serve the api_v3 query API (GET /api/v3/services answered 404); '
                             'Jaeger 2.x does: check jaeger_query_endpoint and the Jaeger version' % params['query_url'])
        except (OSError, ValueError) as error:
            module.fail_json(msg='cannot ask Jaeger at %s: %s' % (params['query_url'], getattr(error, 'reason', error)))
        except _spans.SpanError as error:
            module.fail_json(msg='Jaeger at %s answered something that is not api_v3: %s' % (params['query_url'], error))
        if not seen['missing'] or time.monotonic() - started + params['interval'] > params['timeout']:
            break
        time.sleep(params['interval'])
    module.exit_json(changed=False, window={'from': since, 'to': until}, elapsed=round(time.monotonic() - started, 1),
                     **seen)


if __name__ == '__main__':
    main()
