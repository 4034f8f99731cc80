# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to kubetrace.tracing: the flow of one kubectl command, joined from what the cluster recorded.

Standard library only (the audit half runs on the control-plane node). Sources, from coarse to fine:
- the objects (ownerReferences, creation times, pod conditions) and their Events: every cluster has them, to the
  second;
- the audit log: who made each request, to the microsecond (compact entries, see ``compact_audit``);
- the spans (flat, see ``flat_spans``): apiserver requests joined by their ``audit-id``, the kubelet's syncPod
  traces by ``k8s.pod.uid``, with etcd's and containerd's spans under them.

``join`` builds one tree in causal order (owner chain, binding, parent span ids first, time second); the time
that no component records (controllers' and scheduler's queue and reconcile) becomes labelled waiting steps.
``waterfall`` writes it for a terminal, ``otlp`` as one OTLP trace.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re

from ansible_collections.kubetrace.tracing.plugins.module_utils import _spans

CONTROLLER_USERS = re.compile(r'^system:serviceaccount:kube-system:(?P<name>[a-z-]+-controller)$')
NODE_USER = re.compile(r'^system:node:(?P<node>.+)$')
CREATE_RESOURCES = {'deployments': 'Deployment', 'replicasets': 'ReplicaSet', 'pods': 'Pod',
                    'statefulsets': 'StatefulSet', 'daemonsets': 'DaemonSet', 'jobs': 'Job', 'cronjobs': 'CronJob'}
# Which component waits, and for what, before the step that follows (none of them records this time).
WAITS = {'Deployment': 'deployment-controller: watch, queue and reconcile (not recorded)',
         'ReplicaSet': 'replicaset-controller: watch, queue and reconcile (not recorded)',
         'StatefulSet': 'statefulset-controller: watch, queue and reconcile (not recorded)',
         'DaemonSet': 'daemonset-controller: watch, queue and reconcile (not recorded)',
         'Job': 'job-controller: watch, queue and reconcile (not recorded)'}
CRI_WORDS = {'RunPodSandbox': 'runs the pod sandbox', 'PullImage': 'pulls the image', 'CreateContainer':
             'creates the container', 'StartContainer': 'starts the container', 'ImageStatus': 'looks up the image',
             'PodSandboxStatus': 'reads the sandbox status', 'ContainerStatus': 'reads the container status'}
SECOND = 1_000_000_000
COPY_OF = 'kubetrace.source.trace_id'
BREAKDOWN_TOP = 3
SERVER_KINDS = (2, 'SPAN_KIND_SERVER')
CLIENT_KINDS = (3, 'SPAN_KIND_CLIENT')
# kube-apiserver's handler chain: one span per filter around every request, in Jaeger only
APISERVER_HIDDEN = {'audit', 'authentication', 'authorization', 'impersonation', 'constrainedimpersonation',
                    'priorityandfairness', 'SerializeObject'}


class FlowError(Exception):
    """Input that is not what kubectl, the audit log or Jaeger give."""


# ------------------------------------------------------------------------------------------------ time
def parse_time(text) -> int:
    """Nanoseconds since the epoch of an RFC 3339 time (``Z`` or an offset; up to nanoseconds), or of
    ``YYYY-MM-DD HH:MM:SS.ffffff`` in UTC (Ansible's command start)."""
    if text in (None, ''):
        raise FlowError('no time given')
    if isinstance(text, (int, float)):
        return int(text)
    match = re.match(r'^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:?\d\d)?$', str(text).strip())
    if not match:
        raise FlowError('%r is not an RFC 3339 time' % (text,))
    day, clock, fraction, zone = match.groups()
    moment = datetime.datetime.fromisoformat('%sT%s+00:00' % (day, clock))
    nanos = int(moment.timestamp()) * SECOND + int((fraction or '0').ljust(9, '0'))
    if zone and zone != 'Z':
        sign = 1 if zone[0] == '+' else -1
        hours, minutes = int(zone[1:3]), int(zone[-2:])
        nanos -= sign * (hours * 3600 + minutes * 60) * SECOND
    return nanos


def iso(nanos: int) -> str:
    moment = datetime.datetime.fromtimestamp(nanos // SECOND, datetime.timezone.utc)
    return moment.strftime('%Y-%m-%dT%H:%M:%S') + '.%06dZ' % (nanos % SECOND // 1000)


# ------------------------------------------------------------------------------------------------ audit
def compact_audit(entry: dict):
    """What the flow needs of one audit event (a ResponseComplete of a create, update, patch or delete of a
    workload, a pod, a binding or a pod's status), or None. Small, so that only this crosses the wire."""
    if entry.get('stage') not in (None, 'ResponseComplete') or entry.get('verb') in ('get', 'list', 'watch'):
        return None
    ref = entry.get('objectRef') or {}
    resource, sub = ref.get('resource'), ref.get('subresource')
    if resource not in CREATE_RESOURCES or sub not in (None, '', 'binding', 'status'):
        return None
    response = entry.get('responseObject') or {}
    request = entry.get('requestObject') or {}
    meta = response.get('metadata') or {}
    found = {
        'audit_id': entry.get('auditID'), 'verb': entry.get('verb'), 'resource': resource, 'subresource': sub or None,
        'namespace': ref.get('namespace'), 'name': ref.get('name') or meta.get('name'),
        'uid': meta.get('uid') if not sub else None, 'user': (entry.get('user') or {}).get('username'),
        'user_agent': entry.get('userAgent'), 'code': (entry.get('responseStatus') or {}).get('code'),
        'start': entry.get('requestReceivedTimestamp'), 'end': entry.get('stageTimestamp'),
        'owners': [owner.get('uid') for owner in meta.get('ownerReferences') or [] if owner.get('uid')],
    }
    if sub == 'binding':
        found['node'] = (request.get('target') or {}).get('name')
    if sub == 'status':
        conditions = (request.get('status') or {}).get('conditions') or []
        found['ready'] = any(c.get('type') == 'Ready' and c.get('status') == 'True' for c in conditions)
    return found


def read_audit_lines(lines, namespace: str, since_ns: int = 0):
    """Compact entries of the audit log's JSON lines about ``namespace`` (a cheap text test first: most lines
    of a busy cluster's log are about something else); lines that are not JSON are counted, not fatal (a log
    being rotated ends mid-line)."""
    marker, spaced = '"namespace":"%s"' % namespace, '"namespace": "%s"' % namespace
    entries, unreadable = [], 0
    for line in lines:
        if marker not in line and spaced not in line:
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            unreadable += 1
            continue
        found = compact_audit(entry) if isinstance(entry, dict) else None
        if found and found['namespace'] == namespace and found['start'] and parse_time(found['start']) >= since_ns:
            entries.append(found)
    return entries, unreadable


# ------------------------------------------------------------------------------------------------ spans
def _value(value):
    if not isinstance(value, dict):
        return value
    for key in ('stringValue', 'intValue', 'boolValue', 'doubleValue'):
        if key in value:
            return int(value[key]) if key == 'intValue' else value[key]
    return json.dumps(value, sort_keys=True)


def _attributes(holder) -> dict:
    return {item.get('key'): _value(item.get('value')) for item in (holder or {}).get('attributes', [])}


def flat_spans(answers) -> list:
    """Every span of Jaeger api_v3 answers once, flat: trace and span ids, parent, service, host, name, kind,
    start and end (ns) and attributes."""
    seen, flat = set(), []
    for answer in answers if isinstance(answers, list) else [answers]:
        try:
            parts = list(_spans.resource_spans(answer))
        except _spans.SpanError as error:
            raise FlowError(str(error)) from None
        for part in parts:
            resource = _attributes(part.get('resource'))
            service = resource.get('service.name') or 'unknown'
            host = resource.get('host.name') or resource.get('k8s.node.name')
            for scope in part.get('scopeSpans', []):
                for span in scope.get('spans', []):
                    key = (span.get('traceId'), span.get('spanId'))
                    if key in seen:
                        continue
                    seen.add(key)
                    flat.append({'trace_id': key[0], 'span_id': key[1], 'parent_id': span.get('parentSpanId') or None,
                                 'service': service, 'host': host, 'name': span.get('name'), 'kind': span.get('kind'),
                                 'start': int(span.get('startTimeUnixNano') or 0),
                                 'end': int(span.get('endTimeUnixNano') or 0),
                                 'attributes': _attributes(span), 'resource': resource})
    return flat


def relevant_traces(spans: list, audit_ids, pod_uids) -> list:
    """The spans of every trace that holds a span of one of ``audit_ids`` (attribute ``audit-id``) or of one of
    ``pod_uids`` (attribute ``k8s.pod.uid``)."""
    audit_ids, pod_uids = set(audit_ids or ()), set(pod_uids or ())
    copies = {span['trace_id'] for span in spans if COPY_OF in span['attributes']}      # explain's own traces
    wanted = {span['trace_id'] for span in spans
              if span['attributes'].get('audit-id') in audit_ids or span['attributes'].get('k8s.pod.uid') in pod_uids}
    wanted -= copies
    return [span for span in spans if span['trace_id'] in wanted]


# ------------------------------------------------------------------------------------------------ objects
def _meta(item):
    return item.get('metadata') or {}


def object_index(objects: list) -> dict:
    """uid -> {kind, name, uid, owners, created (ns, to the second), node, ready (ns or None), images, item}."""
    index = {}
    for item in objects:
        meta = _meta(item)
        if not meta.get('uid'):
            raise FlowError('an object without metadata.uid: %s' % json.dumps(item)[:120])
        spec, status = item.get('spec') or {}, item.get('status') or {}
        ready = next((c.get('lastTransitionTime') for c in status.get('conditions') or []
                      if c.get('type') == 'Ready' and c.get('status') == 'True'), None)
        index[meta['uid']] = {
            'kind': item.get('kind'), 'name': meta.get('name'), 'uid': meta['uid'],
            'owners': [owner['uid'] for owner in meta.get('ownerReferences') or [] if owner.get('uid')],
            'created': parse_time(meta['creationTimestamp']) if meta.get('creationTimestamp') else None,
            'node': spec.get('nodeName'), 'ready': parse_time(ready) if ready else None,
            'images': [c.get('image') for c in spec.get('containers') or [] if c.get('image')]
            if item.get('kind') == 'Pod' else [],
        }
    return index


def _event_time(event):
    for key in ('eventTime', 'firstTimestamp', 'lastTimestamp'):
        if event.get(key):
            return parse_time(event[key])
    return parse_time(_meta(event).get('creationTimestamp'))


def _short_user(user: str, agent: str = None) -> str:
    """A request's maker in an operator's words."""
    if not user:
        return 'someone'
    match = CONTROLLER_USERS.match(user)
    if match:
        return match.group('name')
    match = NODE_USER.match(user)
    if match:
        return 'kubelet on %s' % match.group('node')
    if user == 'system:kube-scheduler':
        return 'kube-scheduler'
    if agent and agent.startswith('kubectl'):
        return '%s (kubectl)' % user
    return user


# ------------------------------------------------------------------------------------------------ join
class _Builder:
    def __init__(self):
        self.steps = []

    def add(self, kind, start, end, what, component, host=None, parent=None, source=None, **extra):
        step = dict(id=len(self.steps), parent=parent, kind=kind, start=int(start), end=int(max(end, start)),
                    what=what, component=component, host=host, source=source, **extra)
        self.steps.append(step)
        return step


def _span_name(span, children=()):
    """A span's name, and for the kubelet's CRI calls what they do (with the image containerd names)."""
    name = span['name'] or '?'
    method = name.rsplit('/', 1)[-1]
    if span['service'] == 'kubelet' and method in CRI_WORDS:
        image = next((child['attributes'].get('image.ref') for child in children
                      if child['name'] == name and child['attributes'].get('image.ref')), None)
        return '%s: %s%s' % (name, CRI_WORDS[method], ' %s' % image if image else '')
    return name


def _shown(span):
    """Whether the terminal shows a span: the apiserver's filter chain and its client half of an etcd call, and
    containerd's internals below the call it served, are left to Jaeger."""
    if span['service'] == 'containerd':
        return span['kind'] in SERVER_KINDS
    if span['service'] == 'apiserver':
        return span['name'] not in APISERVER_HIDDEN and not (span['kind'] in CLIENT_KINDS
                                                             and span['name'].startswith('etcdserverpb.'))
    return True


def _native(span):
    return {'trace_id': span['trace_id'], 'span_id': span['span_id'], 'parent_id': span['parent_id'],
            'name': span['name'], 'kind': span['kind'], 'attributes': span['attributes'], 'service': span['service']}


def _add_spans(builder, spans, parent_step, root_span=None):
    """The spans of one native trace, nested under ``parent_step`` by their parent ids (a span whose parent is
    not among them hangs under the step itself; ``root_span``, when given, is the step itself); children in
    time order."""
    by_id = {span['span_id']: span for span in spans}
    children = {}
    for span in spans:
        parent = span['parent_id'] if span['parent_id'] in by_id else None
        children.setdefault(parent, []).append(span)

    def walk(parent_id, step):
        for span in sorted(children.get(parent_id, []), key=lambda s: (s['start'], s['span_id'])):
            if span is root_span:
                walk(span['span_id'], step)
                continue
            added = builder.add('span', span['start'], span['end'], _span_name(span, children.get(span['span_id'], ())),
                                span['service'], span['host'] or step['host'], parent=step['id'], source='spans',
                                resolution='ns', terminal=_shown(span), span=_native(span))
            walk(span['span_id'], added)
    walk(None, parent_step)


def _gap(last, start, resolution):
    """Whether the time between ``last`` and a step that starts at ``start`` is a wait worth showing: both ends
    are known better than to the second (the objects' and Events' times are cut to whole seconds)."""
    return start > last['end'] and resolution != 's' and last.get('resolution') != 's'


def _traces_of(spans):
    traces = {}
    for span in spans:
        traces.setdefault(span['trace_id'], []).append(span)
    return traces


def join(command: dict, objects: list, events: list = None, audit: list = None, spans: list = None,
         sources: dict = None) -> dict:
    """The flow: ``command`` is {text, started (time the command ran, control-plane clock), host, namespace,
    roots (optional: kind/name of the objects to explain, else every object without an owner)}; ``objects`` the
    items of ``kubectl get -o json`` (workloads and pods), ``events`` the namespace's Events, ``audit`` compact
    audit entries, ``spans`` flat spans (both may be empty); ``sources`` what could not be read and why
    ({audit: 'reason', jaeger: 'reason'})."""
    events, audit, spans, sources = events or [], audit or [], spans or [], sources or {}
    index = object_index(objects)
    if not index:
        raise FlowError('no objects to explain in namespace %s' % command.get('namespace'))
    t0 = parse_time(command['started']) if command.get('started') else min(o['created'] for o in index.values())
    creates = {e['uid']: e for e in audit if e['verb'] == 'create' and not e['subresource'] and e.get('uid')
               and (e.get('code') or 200) < 300}
    bindings = {(e['name']): e for e in sorted(audit, key=lambda e: e['start'])
                if e['subresource'] == 'binding' and (e.get('code') or 201) < 300}
    ready_patches = {}
    for entry in sorted(audit, key=lambda e: e['start']):
        if entry['subresource'] == 'status' and entry.get('ready') and entry['resource'] == 'pods':
            ready_patches.setdefault(entry['name'], entry)
    traces = _traces_of(spans)
    by_audit = {}
    for trace in traces.values():
        for span in trace:
            audit_id = span['attributes'].get('audit-id')
            if audit_id and span['service'] != 'kubelet':
                by_audit.setdefault(audit_id, [s for s in trace if s['service'] != 'kubelet'])
    kubelet_traces = {}
    for trace_id, trace in traces.items():
        uids = {s['attributes'].get('k8s.pod.uid') for s in trace if s['service'] == 'kubelet'} - {None}
        for uid in uids:
            kubelet_traces.setdefault(uid, []).append(trace)
    pod_events = {}
    for event in events:
        involved = event.get('involvedObject') or event.get('regarding') or {}
        pod_events.setdefault(involved.get('uid'), []).append(event)

    builder, warnings, missing = _Builder(), [], []
    root = builder.add('command', t0, t0, command.get('text') or 'the objects', 'kubectl', command.get('host'),
                       source='command')
    wanted = command.get('roots')
    roots = [o for o in index.values() if not (set(o['owners']) & set(index))]
    if wanted:
        roots = [o for o in roots if '%s/%s' % (o['kind'].lower(), o['name']) in
                 ['%s/%s' % tuple(w.lower().split('/', 1)) for w in wanted]]
        if not roots:
            raise FlowError('none of %s is among the objects found: %s' % (', '.join(wanted), ', '.join(
                sorted('%s/%s' % (o['kind'], o['name']) for o in index.values()))))
    children = {}
    for item in index.values():
        for owner in item['owners']:
            children.setdefault(owner, []).append(item)
    unsampled = []

    def create_step(item, after):
        entry = creates.get(item['uid'])
        if entry:
            start, end = parse_time(entry['start']), parse_time(entry['end'])
            who = _short_user(entry['user'], entry.get('user_agent'))
            source, resolution = 'audit', 'us'
        else:
            start = end = item['created']
            who = (item.get('owner_kind') or 'a controller') if item['owners'] else (
                'kubectl' if str(command.get('text', '')).startswith('kubectl') else 'someone')
            source, resolution = 'objects', 's'
        if after is not None and after['kind'] == 'command' and not command.get('roots') and _gap(after, start, resolution):
            builder.add('wait', after['end'], start, 'kubectl: starts, reads its kubeconfig, finds the API (not recorded)',
                        'kubectl', command.get('host'), parent=root['id'], source='gap')
        elif after is not None and after['kind'] != 'command' and _gap(after, start, resolution):
            builder.add('wait', after['end'], start, WAITS.get(after.get('object_kind'), 'waiting (not recorded)'),
                        after.get('waiter') or 'controller', parent=root['id'], source='gap')
        step = builder.add('create', start, end, '%s created %s %s' % (who, item['kind'], item['name']),
                           'kube-apiserver', command.get('host'), parent=root['id'], source=source,
                           resolution=resolution, object_kind=item['kind'], object=item['name'], uid=item['uid'],
                           waiter=WAITS.get(item['kind'], '').split(':')[0] or None)
        if entry:
            request = by_audit.get(entry['audit_id'])
            if request:
                _add_spans(builder, request, step)
            else:
                unsampled.append('%s %s' % (item['kind'], item['name']))
        return step

    def pod_steps(pod, created):
        last = created
        binding = bindings.get(pod['name'])
        scheduled = next((e for e in pod_events.get(pod['uid'], []) if e.get('reason') == 'Scheduled'), None)
        if binding:
            start, end = parse_time(binding['start']), parse_time(binding['end'])
            node = binding.get('node') or pod['node']
            source, resolution, who = 'audit', 'us', _short_user(binding['user'])
        elif scheduled or pod['node']:
            start = end = _event_time(scheduled) if scheduled else created['end']
            node, source, resolution, who = pod['node'], 'events' if scheduled else 'objects', 's', 'kube-scheduler'
        else:
            missing.append('Pod %s was never scheduled: see kubectl describe pod %s' % (pod['name'], pod['name']))
            return
        if _gap(last, start, resolution):
            builder.add('wait', last['end'], start, 'kube-scheduler: watch, queue and scheduling (not recorded)',
                        'kube-scheduler', parent=root['id'], source='gap')
        last = builder.add('bind', start, end, '%s bound Pod %s to %s' % (who, pod['name'], node), 'kube-scheduler',
                           command.get('host'), parent=root['id'], source=source, resolution=resolution, node=node)
        if binding:
            request = by_audit.get(binding['audit_id'])
            if request:
                _add_spans(builder, request, last)
        bound = last
        syncs = sorted(kubelet_traces.get(pod['uid'], []), key=lambda trace: min(s['start'] for s in trace))
        ready_entry = ready_patches.get(pod['name'])
        ready_at = parse_time(ready_entry['start']) if ready_entry else pod['ready']
        shown = [t for t in syncs if ready_at is None or min(s['start'] for s in t) <= ready_at] or syncs[:1]
        if shown:
            first = min(s['start'] for s in shown[0])
            if first < bound['start']:
                warnings.append('the clock of %s looks off: its kubelet span starts %.3f s before the pod was bound; '
                                'its steps are shown in causal order, their offsets are its clock\'s'
                                % (node, (bound['start'] - first) / SECOND))
            elif _gap(last, first, 'ns'):
                builder.add('wait', last['end'], first, 'kubelet on %s: watch and admission (not recorded)' % node,
                            'kubelet', node, parent=root['id'], source='gap')
            quiet = 0
            for trace in shown:
                top = [s for s in trace if s['service'] == 'kubelet'
                       and not any(p['span_id'] == s['parent_id'] for p in trace)]
                if len(trace) == len(top) and trace is not shown[0]:
                    quiet += 1
                    continue
                head = min(top, key=lambda s: (s['start'], s['span_id'])) if top else None
                start, end = min(s['start'] for s in trace), max(s['end'] for s in trace)
                what = 'kubelet on %s syncs Pod %s%s' % (node, pod['name'], ' (%s)' % head['name'] if head else '')
                sync = builder.add('sync', start, end, what, 'kubelet', node, parent=root['id'], source='spans',
                                   resolution='ns', span=_native(head) if head else None)
                _add_spans(builder, trace, sync, head)
                last = sync if sync['end'] > last['end'] else last
            if quiet:
                warnings.append('%d more sync%s of Pod %s before Ready made no calls to the runtime (not shown)'
                                % (quiet, 's' if quiet > 1 else '', pod['name']))
            if not any(s['service'] == 'containerd' for t in shown for s in t) and any(
                    s['name'] and s['name'].startswith('runtime.v1.') for t in shown for s in t):
                missing.append('containerd on %s sent no spans under the kubelet\'s CRI calls: it was built without the '
                               'gRPC server instrumentation (as Debian\'s containerd packages are); an upstream build '
                               '(1.7 or 2.x) sends them' % node)
        else:
            for event in sorted(pod_events.get(pod['uid'], []), key=_event_time):
                if event.get('reason') in ('Pulling', 'Pulled', 'Created', 'Started'):
                    moment = _event_time(event)
                    last = builder.add('event', moment, moment, 'kubelet on %s: %s' % (node, event.get('message')),
                                       'kubelet', node, parent=root['id'], source='events', resolution='s')
            if not sources.get('jaeger'):
                missing.append('no kubelet spans for Pod %s on %s: the kubelet there does not trace, or samples below '
                               '1000000 per million (kubelet_tracing_sampling_rate_per_million)' % (pod['name'], node))
        if ready_at is not None:
            if ready_entry:
                start, end, source, resolution = ready_at, parse_time(ready_entry['end']), 'audit', 'us'
            else:
                start = end = ready_at
                source, resolution = 'objects', 's'
            if _gap(last, start, resolution):
                builder.add('wait', last['end'], start, 'kubelet on %s: status update (not recorded)' % node, 'kubelet',
                            node, parent=root['id'], source='gap')
            builder.add('ready', start, end, 'Pod %s is Ready on %s' % (pod['name'], node), 'kubelet', node,
                        parent=root['id'], source=source, resolution=resolution, uid=pod['uid'])
        else:
            missing.append('Pod %s is not Ready' % pod['name'])

    def visit(item, after):
        step = create_step(item, after)
        for child in sorted(children.get(item['uid'], []), key=lambda o: (o['created'] or 0, o['name'])):
            child['owner_kind'] = WAITS.get(item['kind'], 'a controller').split(':')[0]
            visit(child, step)
        if item['kind'] == 'Pod':
            pod_steps(item, step)

    for item in sorted(roots, key=lambda o: (o['created'] or 0, o['name'])):
        visit(item, root)

    if not audit:
        missing.insert(0, 'no audit log%s: the steps come from the objects and their Events, to the second, and '
                       'say nothing of who made each request; turn it on with apiserver_audit_log: true (role '
                       'kubetrace.tracing.apiserver)' % (' (%s)' % sources['audit'] if sources.get('audit') else ''))
    if sources.get('jaeger'):
        missing.insert(0, 'no spans: %s' % sources['jaeger'])
    elif unsampled:
        missing.append('no apiserver spans for the creation of %s: kube-apiserver samples below 1000000 per million '
                       '(apiserver_tracing_sampling_rate_per_million), or its spans have not arrived'
                       % ', '.join(unsampled))
    return _finish(builder.steps, command, t0, warnings, missing)


def _finish(steps, command, t0, warnings, missing):
    readies = [s['end'] for s in steps if s['kind'] == 'ready']
    root = steps[0]
    root['end'] = max([s['end'] for s in steps] + [root['start']])
    ready = max(readies) if readies else None
    total = (ready - t0) if ready is not None else None
    by_parent = {}
    for step in steps:
        by_parent.setdefault(step['parent'], []).append(step)
    candidates = []
    for step in by_parent.get(root['id'], []):
        calls = [s for s in by_parent.get(step['id'], []) if step['kind'] == 'sync']
        candidates.extend(calls or [step])
        if calls:
            own = (step['end'] - step['start']) - sum(s['end'] - s['start'] for s in calls)
            candidates.append({'id': step['id'], 'start': step['start'], 'end': step['start'] + max(own, 0),
                               'what': '%s, outside its calls to the runtime' % step['what']})
    candidates = [s for s in candidates if ready is None or s['start'] <= ready]
    top = sorted(candidates, key=lambda s: s['end'] - s['start'], reverse=True)[:BREAKDOWN_TOP]
    breakdown = [{'step': s['id'], 'what': s['what'], 'seconds': round((s['end'] - s['start']) / SECOND, 6),
                  'share': round((s['end'] - s['start']) / total, 4) if total else None} for s in top
                 if s.get('resolution') != 's']
    return {'command': command.get('text'), 'namespace': command.get('namespace'), 'host': command.get('host'),
            'started': iso(t0), 'ready': iso(ready) if ready is not None else None,
            'seconds_to_ready': round(total / SECOND, 6) if total is not None else None,
            'steps': steps, 'breakdown': breakdown, 'warnings': warnings, 'missing': missing,
            'services': sorted({s['span']['service'] for s in steps if s.get('span')})}


# ------------------------------------------------------------------------------------------------ output
def _depth(steps):
    """How deep each step sits in the terminal: below its shown ancestors only."""
    depth, by_id = {}, {step['id']: step for step in steps}
    for step in steps:
        parent = step['parent']
        depth[step['id']] = 0 if parent is None else depth[parent] + (1 if by_id[parent].get('terminal', True) else 0)
    return depth


def waterfall(flow: dict) -> list:
    """The flow as lines for a terminal: offset from the command, duration, component, host, what happened;
    nested spans indented under their step; then the total to Ready, where the time went, and what is missing."""
    steps, t0 = flow['steps'], parse_time(flow['started'])
    depth = _depth(steps)
    rows = [('offset', 'took', 'component', 'host', 'step')]
    for step in steps[1:]:
        if not step.get('terminal', True):
            continue
        offset = '%+.3fs' % ((step['start'] - t0) / SECOND)
        took = '%.3fs' % ((step['end'] - step['start']) / SECOND) if step['end'] > step['start'] else '-'
        if step.get('resolution') == 's':      # cut to the second: the true time is up to 1 s later
            offset, took = '~%+ds' % max(0, round((step['start'] - t0) / SECOND)), '-'
        what = ('[waiting] ' if step['kind'] == 'wait' else '') + step['what']
        rows.append((offset, took, step['component'], step['host'] or '', '  ' * (depth[step['id']] - 1) + what))
    widths = [max(len(row[col]) for row in rows) for col in range(4)]
    lines = ['%s  (namespace %s, from %s on %s)' % (
        flow['command'], flow['namespace'], flow['started'], flow['host'] or '?')]
    lines += ['  '.join([row[0].rjust(widths[0]), row[1].rjust(widths[1]), row[2].ljust(widths[2]),
                         row[3].ljust(widths[3]), row[4]]).rstrip() for row in rows]
    if flow['seconds_to_ready'] is not None:
        coarse = any(step['kind'] == 'ready' and step.get('resolution') == 's' for step in steps)
        lines.append(('Ready about %d s after the command (known to the second).' % round(flow['seconds_to_ready'])
                      if coarse else 'Ready %.3f s after the command.' % flow['seconds_to_ready'])
                     + (' Where the time went: ' + '; '.join('%s %.3f s (%d%%)' % (
                         row['what'], row['seconds'], round(100 * (row['share'] or 0))) for row in flow['breakdown'])
                        if flow['breakdown'] else ''))
    if any(step.get('resolution') == 's' for step in steps):
        lines.append('~s: known to the second only (from the objects or their Events)')
    lines += ['Note: %s' % line for line in flow['warnings']]
    lines += ['Missing: %s' % line for line in flow['missing']]
    return lines


def _id(text: str, size: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:size * 2]


def _otlp_value(value):
    if isinstance(value, bool):
        return {'boolValue': value}
    if isinstance(value, int):
        return {'intValue': str(value)}
    if isinstance(value, float):
        return {'doubleValue': value}
    return {'stringValue': str(value)}


def _otlp_attributes(values: dict) -> list:
    return [{'key': key, 'value': _otlp_value(value)} for key, value in sorted(values.items()) if value is not None]


def otlp(flow: dict, service: str = 'kubetrace') -> dict:
    """The flow as one OTLP/JSON trace (a body for POST /v1/traces): a root span for the command, a span per step
    (service ``service``), and the native spans copied under their step with new ids, their own service, timing
    and attributes, and ``kubetrace.source.trace_id`` / ``kubetrace.source.span_id`` naming where they came from.
    Ids derive from the flow, so sending the same flow twice gives the same trace."""
    steps = flow['steps']
    trace_id = _id('%s|%s|%s' % (flow['command'], flow['namespace'], flow['started']), 16)
    span_ids = {step['id']: _id('%s|%d' % (trace_id, step['id']), 8) for step in steps}
    by_service = {}
    for step in steps:
        native = step.get('span')
        attributes = {'kubetrace.step.kind': step['kind'], 'kubetrace.step.component': step['component'],
                      'kubetrace.step.source': step['source'], 'host.name': step['host']}
        if step.get('resolution') == 's':
            attributes['kubetrace.step.resolution'] = 'second'
        if native:
            attributes = dict(native['attributes'], **{COPY_OF: native['trace_id'],
                                                       'kubetrace.source.span_id': native['span_id']})
            name = native['name']
        else:
            name = step['what'] if step['kind'] != 'wait' else 'waiting: ' + step['what']
            if step['kind'] == 'command':
                attributes.update({'kubetrace.namespace': flow['namespace'],
                                   'kubetrace.seconds_to_ready': flow['seconds_to_ready']})
        span = {'traceId': trace_id, 'spanId': span_ids[step['id']], 'name': name,
                'kind': native['kind'] if native and isinstance(native['kind'], int) else 1,
                'startTimeUnixNano': str(step['start']), 'endTimeUnixNano': str(step['end']),
                'attributes': _otlp_attributes(attributes)}
        if step['parent'] is not None:
            span['parentSpanId'] = span_ids[step['parent']]
        key = (native['service'], step['host']) if native else (service, None)
        by_service.setdefault(key, []).append(span)
    resource_spans = []
    for (name, host), spans in sorted(by_service.items(), key=lambda item: (item[0][0], item[0][1] or '')):
        resource = {'service.name': name}
        if host:
            resource['host.name'] = host
        resource_spans.append({'resource': {'attributes': _otlp_attributes(resource)},
                               'scopeSpans': [{'scope': {'name': 'kubetrace.tracing.explain'}, 'spans': spans}]})
    return {'trace_id': trace_id, 'body': {'resourceSpans': resource_spans}}


def document(flow: dict) -> dict:
    """The flow for scripts: steps with parents, offsets and sources, times as RFC 3339."""
    t0 = parse_time(flow['started'])
    steps = []
    for step in flow['steps']:
        row = {key: value for key, value in step.items() if key not in ('start', 'end', 'span', 'waiter', 'terminal')}
        row.update(start=iso(step['start']), end=iso(step['end']), offset_seconds=round((step['start'] - t0) / SECOND, 6),
                   seconds=round((step['end'] - step['start']) / SECOND, 6))
        if step.get('span'):
            row['source_trace_id'], row['source_span_id'] = step['span']['trace_id'], step['span']['span_id']
            row['service'] = step['span']['service']
        steps.append(row)
    return dict({key: value for key, value in flow.items() if key != 'steps'}, steps=steps)


STUCK = {'ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull', 'CreateContainerConfigError',
         'CreateContainerError', 'CrashLoopBackOff', 'RunContainerError'}


def pods_state(pods: list) -> dict:
    """Whether every pod is Ready (and there is one), and a line per container that will not start without help."""
    ready, stuck = 0, []
    for pod in pods:
        status = pod.get('status') or {}
        ready += any(c.get('type') == 'Ready' and c.get('status') == 'True' for c in status.get('conditions') or [])
        for container in status.get('containerStatuses') or []:
            waiting = (container.get('state') or {}).get('waiting') or {}
            if waiting.get('reason') in STUCK:
                stuck.append('Pod %s on %s: container %s (%s): %s: %s' % (
                    _meta(pod).get('name'), (pod.get('spec') or {}).get('nodeName') or 'no node', container.get('name'),
                    container.get('image'), waiting['reason'], waiting.get('message') or 'no message'))
    return {'ready': bool(pods) and ready == len(pods), 'pods': len(pods), 'ready_pods': ready, 'stuck': stuck}
