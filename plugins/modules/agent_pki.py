#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: agent_pki
short_description: Make and keep, on the controller, the small CA and the certificates of the node agents' TLS
version_added: 0.3.0
description:
  - Keeps a folder on the controller with C(ca.crt) and C(ca.key) (an ECDSA P-256 CA, made on the first run) and,
    per entry of O(certs), C(<name>.crt) and C(<name>.key) signed by it - the backend's server certificate, and
    each agent's client certificate when mutual TLS is on.
  - A certificate is made anew when it is missing, names other hosts than O(certs) asks, was signed by another
    CA, or expires within O(renew_before_days); otherwise nothing is written, so a second run reports no change.
  - C(ca-bundle.crt) is what both sides trust - C(ca.crt), plus C(ca-previous.crt) when the operator keeps one
    in the folder while rotating the CA (see the README's rotation steps).
  - Runs on the controller only, with Python's C(cryptography) (which ansible-core itself needs). Keys are
    written mode 0600 and never returned.
options:
  path:
    description: The folder on the controller (made mode 0700 when missing).
    type: path
    required: true
  ca_name:
    description: The CA's common name.
    type: str
    default: kubetrace agents CA
  certs:
    description: The certificates to keep.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: File name stem and common name, such as C(jaeger-server) or C(node1-client).
        type: str
        required: true
      names:
        description: Host names and addresses the certificate is valid for (subjectAltName).
        type: list
        elements: str
        default: []
      usage:
        description: C(server) (TLS server authentication) or C(client).
        type: str
        choices: [server, client]
        default: server
  clients:
    description: Hosts that get a client certificate each, C(<host>-client.crt) (mutual TLS).
    type: list
    elements: str
    default: []
  ca_days:
    description: Days a new CA is valid.
    type: int
    default: 3650
  days:
    description: Days a new certificate is valid.
    type: int
    default: 365
  renew_before_days:
    description: A certificate that expires within this many days is made anew.
    type: int
    default: 30
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details: Says what it would make and writes nothing.
  diff_mode:
    support: none
  platform:
    platforms: posix
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
author:
  - kubetrace.tracing contributors (@kubetrace)
'''

EXAMPLES = r'''
- name: Keep the agents' CA and the backend's certificate on the controller
  kubetrace.tracing.agent_pki:
    path: ~/.kubetrace/pki
    certs:
      - name: jaeger-server
        names: [jaeger.example.org, 10.0.0.5]
  run_once: true
'''

RETURN = r'''
changes:
  description: What was made, one line per file.
  returned: always
  type: list
  elements: str
paths:
  description: C(ca) (the trust bundle's path) and, per certificate name, its C(cert) and C(key) paths.
  returned: always
  type: dict
msg:
  description: What happened, in words.
  returned: always
  type: str
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubetrace.tracing.plugins.module_utils._edit_specs import AGENT_PKI


def main():
    module = AnsibleModule(argument_spec=AGENT_PKI, supports_check_mode=True)
    module.fail_json(msg='agent_pki runs on the controller through its action plugin; call it as a task in a play')


if __name__ == '__main__':
    main()
