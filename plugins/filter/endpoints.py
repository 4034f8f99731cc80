# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The backend's address as each component writes it (IPv6 in brackets), checked."""

from __future__ import annotations

from ansible_collections.kubetrace.tracing.plugins.module_utils import _endpoints
from ansible_collections.kubetrace.tracing.plugins.plugin_utils._filters import as_filter


class FilterModule:
    """kubetrace.tracing.host_port, otlp_url, bare_host, span_destination and agent_targets."""

    def filters(self):
        return {'host_port': as_filter(_endpoints.host_port), 'otlp_url': as_filter(_endpoints.url),
                'bare_host': as_filter(_endpoints.bare_host),
                'span_destination': as_filter(_endpoints.span_destination),
                'agent_targets': as_filter(_endpoints.agent_targets)}
