# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""explain's join on the controller: the flow of one command from objects, Events, audit entries and spans."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.kubetrace.tracing.plugins.module_utils import _flow


def _guarded(function):
    def wrapped(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except (_flow.FlowError, KeyError, TypeError) as exc:
            raise AnsibleFilterError('%s: %s' % (function.__name__, exc)) from None
    wrapped.__name__, wrapped.__doc__ = function.__name__, function.__doc__
    return wrapped


def explain_flow(command, objects, events=None, audit=None, spans=None, sources=None):
    """The flow (see module_utils/_flow.py join)."""
    return _flow.join(command, objects, events, audit, spans, sources)


class FilterModule:
    def filters(self):
        return {'explain_flow': _guarded(explain_flow), 'flow_waterfall': _guarded(_flow.waterfall),
                'flow_otlp': _guarded(_flow.otlp), 'flow_document': _guarded(_flow.document),
                'explain_pods_state': _guarded(_flow.pods_state)}
