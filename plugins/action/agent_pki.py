# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""kubetrace.tracing.agent_pki: the node agents' small CA and its certificates, made and kept on the controller."""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.kubetrace.tracing.plugins.module_utils._edit_specs import AGENT_PKI as SPEC
from ansible_collections.kubetrace.tracing.plugins.module_utils._errors import EditError
from ansible_collections.kubetrace.tracing.plugins.plugin_utils import _pki


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        _validation, params = self.validate_argument_spec(argument_spec=SPEC)
        if _pki.CRYPTOGRAPHY_ERROR:
            raise AnsibleActionFail('agent_pki needs the Python package cryptography on the controller (ansible-core '
                                    'itself needs it; pip install cryptography): %s' % _pki.CRYPTOGRAPHY_ERROR)
        certs = params['certs'] + [dict(name=host + '-client', names=[], usage='client') for host in params['clients']]
        for item in certs:
            if not item['name'] or '/' in item['name'] or item['name'].startswith('.') or item['name'] in ('ca', 'ca-bundle', 'ca-previous'):
                raise AnsibleActionFail('agent_pki: certs name %r must be a plain file name, not ca, ca-bundle or ca-previous '
                                        '(nor starting with a dot); name it after its host, such as node1-client' % item['name'])
        try:
            changes, paths = _pki.ensure(params['path'], params['ca_name'], certs, params['ca_days'],
                                         params['days'], params['renew_before_days'], self._task.check_mode)
        except EditError as exc:
            raise AnsibleActionFail(str(exc)) from None
        return dict(result, changed=bool(changes), changes=changes, paths=paths,
                    msg='; '.join(changes) if changes else 'the CA in %s and its certificates are current' % params['path'])
