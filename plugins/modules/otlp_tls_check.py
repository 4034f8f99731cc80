#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: otlp_tls_check
short_description: Check from a node that the backend's OTLP port completes a TLS handshake with given certificates
version_added: 0.3.0
description:
  - Opens a TLS connection from the node to O(host):O(port), trusting only O(ca), checking that the backend's
    certificate is valid for O(server_name), and presenting O(cert)/O(key) when given (mutual TLS) - what the
    node agent's exporter does - and says in words what failed - an expired certificate, a name the
    certificate does not hold, a CA that did not sign it, a client certificate the backend refused.
  - The otel_agent role runs it before it writes anything, so a certificate that cannot work leaves the node as
    it was; C(playbooks/verify.yml) runs it with the files the agent uses.
  - The certificates are given as PEM text, so nothing needs to be on the node first. Changes nothing; runs in
    check mode too. Standard library only on the node.
options:
  host:
    description: The backend's host name or address (IPv6 without brackets).
    type: str
    required: true
  port:
    description: Its OTLP gRPC port.
    type: int
    default: 4317
  server_name:
    description: The name the backend's certificate must hold; O(host) by default.
    type: str
  ca:
    description: PEM text of the CA certificates to trust (or O(ca_path)).
    type: str
  ca_path:
    description: A file on the node with them.
    type: path
  cert:
    description: PEM text of the client certificate (mutual TLS), or O(cert_path).
    type: str
  cert_path:
    description: A file on the node with it.
    type: path
  key:
    description: PEM text of its private key, or O(key_path).
    type: str
  key_path:
    description: A file on the node with it.
    type: path
  timeout:
    description: Seconds to keep trying to connect (a backend that restarts answers again after a while).
    type: int
    default: 5
  fail:
    description: Fail the task when the handshake fails; with false, report it in RV(ok) and RV(msg).
    type: bool
    default: true
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: posix
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
author:
  - kubetrace.tracing contributors (@kubetrace)
'''

EXAMPLES = r'''
- name: Check that the agent's certificates work against the backend
  kubetrace.tracing.otlp_tls_check:
    host: 10.0.0.5
    server_name: jaeger.example.org
    ca_path: /etc/otel-agent/tls/ca.crt
'''

RETURN = r'''
ok:
  description: The handshake completed and the backend's certificate checked out.
  returned: always
  type: bool
msg:
  description: What happened, in words.
  returned: always
  type: str
not_after:
  description: When the backend's certificate expires (UTC), after a completed handshake.
  returned: when ok
  type: str
'''

import os
import shutil
import socket
import ssl
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule

WORDS = (
    ('certificate has expired', "the backend's certificate has expired (or is not valid yet): give it a new one"),
    ('Hostname mismatch', "the backend's certificate does not hold the name %(server_name)s: make it with that name, or "
                          "set otel_agent_server_name to a name it holds"),
    ('IP address mismatch', "the backend's certificate does not hold the address %(server_name)s: make it with that "
                            "address, or set otel_agent_server_name to a name it holds"),
    ('unable to get local issuer', "the backend's certificate was not signed by the CA the agent trusts: give the "
                                   "agent the CA that signed it, or sign it with the agent's CA"),
    ('self-signed certificate', "the backend's certificate was not signed by the CA the agent trusts: give the agent "
                                "the CA that signed it, or sign it with the agent's CA"),
    ('alert certificate expired', "the backend refused the agent's client certificate: it has expired; make a new one"),
    ('alert unknown ca', "the backend refused the agent's client certificate: it was not signed by a CA the backend "
                         "trusts"),
    ('alert bad certificate', "the backend refused the agent's client certificate"),
    ('alert certificate required', "the backend asks for a client certificate (mutual TLS) and the agent has none: "
                                   "set kubetrace_agent_mtls to true"),
    ('EOF occurred in violation of protocol', "the backend closed the connection in the handshake: it refused the agent's "
                                              "client certificate (mutual TLS), or has none to show"),
    ('wrong version number', "the backend's port does not speak TLS: turn on its TLS receivers (kubetrace_agent on "
                             "the jaeger hosts too)"),
)


def explain(error, server_name):
    text = str(error)
    for needle, words in WORDS:
        if needle in text:
            return '%s (%s)' % (words % {'server_name': server_name}, text)
    return text


def handshake(params, files):
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=files.get('ca'))
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_alpn_protocols(['h2'])
    if files.get('cert'):
        context.load_cert_chain(files['cert'], files.get('key'))
    with socket.create_connection((params['host'], params['port']), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname=params['server_name']) as tls:
            peer = tls.getpeercert()
            # TLS 1.3 says a refused client certificate only at the first read: ask for one.
            tls.settimeout(2)
            try:
                tls.sendall(b'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00')
                tls.recv(1)
            except socket.timeout:
                pass
            return peer.get('notAfter', '')


def main():
    module = AnsibleModule(argument_spec=dict(
        host=dict(type='str', required=True), port=dict(type='int', default=4317), server_name=dict(type='str'),
        ca=dict(type='str'), ca_path=dict(type='path'), cert=dict(type='str'), cert_path=dict(type='path'),
        key=dict(type='str', no_log=True), key_path=dict(type='path', no_log=False), timeout=dict(type='int', default=5),
        fail=dict(type='bool', default=True)),
        mutually_exclusive=[('ca', 'ca_path'), ('cert', 'cert_path'), ('key', 'key_path')],
        required_one_of=[('ca', 'ca_path')], supports_check_mode=True)
    params = dict(module.params)
    params['server_name'] = params['server_name'] or params['host']
    scratch = tempfile.mkdtemp(prefix='kubetrace-tls-')
    try:
        files = {}
        for name in ('ca', 'cert', 'key'):
            if params[name]:
                files[name] = os.path.join(scratch, name + '.pem')
                with os.fdopen(os.open(files[name], os.O_WRONLY | os.O_CREAT, 0o600), 'w') as handle:
                    handle.write(params[name])
            elif params[name + '_path']:
                files[name] = params[name + '_path']
        deadline = time.monotonic() + params['timeout']
        problem = ''
        while True:
            try:
                not_after = handshake(params, files)
                module.exit_json(changed=False, ok=True, not_after=not_after,
                                 msg='TLS to %s:%d (%s) works; its certificate is valid until %s'
                                     % (params['host'], params['port'], params['server_name'], not_after))
            except (ssl.SSLError, ssl.CertificateError) as error:
                problem = explain(error, params['server_name'])
                break
            except OSError as error:
                problem = 'cannot reach %s:%d: %s' % (params['host'], params['port'], error)
                if time.monotonic() >= deadline:
                    break
                time.sleep(1)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    message = 'TLS to %s:%d: %s' % (params['host'], params['port'], problem)
    if params['fail']:
        module.fail_json(msg=message, ok=False)
    module.exit_json(changed=False, ok=False, msg=message)


if __name__ == '__main__':
    main()
