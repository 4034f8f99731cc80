# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test helper: write every task result as one JSON line to $KUBETRACE_RESULTS."""

from __future__ import annotations

import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = '''
name: record_results
type: aggregate
short_description: Record task results for the tests
description: Writes each task's result as a JSON line to the file named by KUBETRACE_RESULTS.
'''


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'record_results'
    CALLBACK_NEEDS_ENABLED = True

    def _record(self, result, status):
        with open(os.environ['KUBETRACE_RESULTS'], 'a', encoding='utf-8') as stream:
            stream.write(json.dumps(dict(task=result._task.get_name(), host=result._host.get_name(),
                                         status=status, result=result._result), default=str) + '\n')

    def v2_runner_on_ok(self, result):
        self._record(result, 'ok')

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, 'failed')
