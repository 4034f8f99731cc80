# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the node agent's metrics say: its queue and the spans it sent."""

from __future__ import annotations

from ansible_collections.kubetrace.tracing.plugins.module_utils import _agent
from ansible_collections.kubetrace.tracing.plugins.plugin_utils._filters import as_filter


class FilterModule:
    """kubetrace.tracing.agent_counters."""

    def filters(self):
        return {'agent_counters': as_filter(_agent.counters)}
