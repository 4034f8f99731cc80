# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Summaries of what Jaeger's query API returned: the table verify.yml prints, and links across services."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.kubetrace.tracing.plugins.module_utils import _spans


def _guarded(function):
    def wrapped(*args):
        try:
            return function(*args)
        except _spans.SpanError as exc:
            raise AnsibleFilterError(str(exc)) from None
    wrapped.__name__, wrapped.__doc__ = function.__name__, function.__doc__
    return wrapped


span_summary = _guarded(_spans.summary)
span_table = _guarded(_spans.table)
linked_spans = _guarded(_spans.links)


def cri_link_line(item) -> str:
    """One host of a kubelet>containerd report (an item of dict2items), in words."""
    host, row = item['key'], item['value']
    if row['linked']:
        return '%s: %d of its %d containerd spans are children of kubelet spans' % (host, row['linked'], row['spans'])
    if not row['server_spans']:
        return ('%s: containerd sends no per-call spans (%d of its own work), so its work cannot join the kubelet\'s '
                'traces: it was built without the gRPC server instrumentation, as Debian\'s containerd packages are'
                % (host, row['spans']))
    if not row['parent_reports']:
        return '%s: containerd traces its calls, but no kubelet spans came from this host' % host
    return '%s: containerd traces %d calls it served, none of them under a kubelet span' % (host, row['server_spans'])


class FilterModule:
    """kubetrace.tracing.span_summary, span_table, linked_spans and cri_link_line."""

    def filters(self):
        return {'span_summary': span_summary, 'span_table': span_table, 'linked_spans': linked_spans,
                'cri_link_line': cri_link_line}
