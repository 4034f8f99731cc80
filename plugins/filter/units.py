# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A systemd unit's command line, for roles that give a unit its flags through a drop-in."""

from __future__ import annotations

from ansible_collections.kubetrace.tracing.plugins.module_utils import _unit_file
from ansible_collections.kubetrace.tracing.plugins.plugin_utils._filters import as_filter


class FilterModule:
    """kubetrace.tracing.unit_exec_start, argv_with_flags, systemd_command_line."""

    def filters(self):
        return {
            'unit_exec_start': as_filter(_unit_file.exec_start),
            'argv_with_flags': as_filter(_unit_file.with_flags),
            'systemd_command_line': as_filter(_unit_file.command_line),
        }
