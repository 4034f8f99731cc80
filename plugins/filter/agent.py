# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the node agent's metrics say (its queue and the spans it sent), and where its configuration sends."""

from __future__ import annotations

from ansible_collections.kubetrace.tracing.plugins.module_utils import _agent
from ansible_collections.kubetrace.tracing.plugins.plugin_utils._filters import as_filter


class FilterModule:
    """kubetrace.tracing.agent_counters and agent_exports."""

    def filters(self):
        return {'agent_counters': as_filter(_agent.counters), 'agent_exports': as_filter(_agent.exports)}
