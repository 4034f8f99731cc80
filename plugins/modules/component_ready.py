#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: component_ready
short_description: Wait until a component answers, runs anew with the expected flags, or can reach a port
version_added: 0.2.0
description:
  - Asks, until all of them hold or O(timeout) runs out, whichever of these the task names - an HTTP(S) endpoint
    answers with the expected status (and body); a process of the component that was not running before runs with
    the expected flags; a command exits 0; a TCP port can be reached.
  - The roles use it before a change (is the component healthy now, so that a check after the change means
    something? can the node reach the tracing backend?) and after it (did a new process start with the new flags,
    and is it healthy?).
  - Changes nothing, so it runs in check mode too. Standard library only on the node.
options:
  name:
    description: What to call the component in messages, such as C(kube-apiserver).
    type: str
    default: the component
  url:
    description: An endpoint to GET, such as C(https://127.0.0.1:6443/readyz).
    type: str
  status_code:
    description: The HTTP status O(url) must answer.
    type: int
    default: 200
  body_regex:
    description: A regular expression the body of O(url) must match, such as C("health":\s*"true").
    type: str
  validate_certs:
    description:
      - Check O(url)'s certificate. Health endpoints on the node's loopback (kube-apiserver's C(/readyz)) answer
        without credentials and present the cluster's own certificate, so the default is not to.
    type: bool
    default: false
  process:
    description: A process to find by its exact program name, as C(pgrep -x) would.
    type: dict
    suboptions:
      name:
        description: The program name (C(/proc/PID/comm)).
        type: str
        required: true
      flags:
        description: Flags it must run with (C(--name=value)); a flag whose value is null must be absent.
        type: dict
        default: {}
      not_pids:
        description: Processes that do not count (those that ran before a change), by pid.
        type: list
        elements: str
        default: []
  command:
    description: A program and its arguments (no shell) that must exit 0, such as C([ctr, version]).
    type: list
    elements: str
  tcp:
    description: A host and port that must accept a TCP connection (IPv6 addresses as they are, without brackets).
    type: dict
    suboptions:
      host:
        description: Host name or address.
        type: str
        required: true
      port:
        description: Port.
        type: int
        required: true
  timeout:
    description: Seconds to keep asking; 0 asks once.
    type: int
    default: 0
  interval:
    description: Seconds between two rounds of asking.
    type: float
    default: 2
  fail:
    description:
      - Fail the task when the conditions do not all hold in time. With false, the result says so in RV(ready) and
        RV(msg), for the role to decide (to roll back, or to leave a host alone).
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    details: It only asks; it runs in check mode as in a real run.
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
- name: Note which kube-apiserver runs now
  kubetrace.tracing.component_ready:
    process: {name: kube-apiserver}
  register: before

- name: Wait for a new kube-apiserver with the tracing flag, and for /readyz
  kubetrace.tracing.component_ready:
    name: kube-apiserver
    process:
      name: kube-apiserver
      flags: {tracing-config-file: /etc/kubernetes/tracing/apiserver-tracing.yaml}
      not_pids: "{{ before.pids }}"
    url: https://127.0.0.1:6443/readyz
    timeout: 180
    fail: false
  register: after

- name: Can this node reach the backend's OTLP port?
  kubetrace.tracing.component_ready:
    tcp: {host: 10.0.0.5, port: 4317}
    timeout: 5
    fail: false
'''

RETURN = r'''
ready:
  description: Every condition the task named held.
  returned: always
  type: bool
  sample: true
elapsed:
  description: Seconds it took.
  returned: always
  type: float
  sample: 12.5
msg:
  description: What did not hold at the last try, in words.
  returned: always
  type: str
  sample: "kube-apiserver: https://127.0.0.1:6443/readyz answered 503 after 180 s"
problems:
  description: Each condition that did not hold at the last try, in words (without the component's name).
  returned: always
  type: list
  elements: str
  sample: ['cannot connect to 10.0.0.5 port 4317 (Connection refused)']
pids:
  description: Pids of the processes named by O(process) that count (not in O(process.not_pids)) and run with its flags.
  returned: when O(process) is given
  type: list
  elements: str
  sample: ['4242']
processes:
  description: Every process named by O(process), as C(pid argv...).
  returned: when O(process) is given
  type: list
  elements: str
  sample: ['4242 kube-apiserver --advertise-address=10.0.0.10 --tracing-config-file=/etc/kubernetes/tracing/apiserver-tracing.yaml']
'''

import os
import re
import socket
import subprocess
import time
import urllib.error

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import open_url

from ansible_collections.kubetrace.tracing.plugins.module_utils import _processes


def running(name):
    """(pid, argv) of every process whose program name is ``name``."""
    found = []
    for pid in sorted((entry for entry in os.listdir('/proc') if entry.isdigit()), key=int):
        try:
            with open('/proc/%s/comm' % pid, encoding='utf-8', errors='replace') as handle:
                if handle.read().strip() != name[:15]:
                    continue
            with open('/proc/%s/cmdline' % pid, 'rb') as handle:
                argv = [word.decode('utf-8', 'replace') for word in handle.read().split(b'\0') if word]
        except OSError:                  # gone meanwhile
            continue
        # the kernel keeps 15 characters of a program's name; a longer one is told by its argv[0]
        if argv and (len(name) <= 15 or os.path.basename(argv[0]) == name):
            found.append((pid, argv))
    return found


def ask_url(params):
    try:
        # a health endpoint on the node itself: never through a proxy of the environment
        with open_url(params['url'], timeout=5, validate_certs=params['validate_certs'], use_proxy=False) as answer:
            status, body = answer.status, answer.read(65536).decode('utf-8', 'replace')
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read(65536).decode('utf-8', 'replace') if error.fp else ''
    except (OSError, ValueError) as error:
        return '%s does not answer (%s)' % (params['url'], getattr(error, 'reason', error))
    if status != params['status_code']:
        return '%s answered %d%s' % (params['url'], status, (': ' + body.strip()[:200]) if body.strip() else '')
    if params['body_regex'] and not re.search(params['body_regex'], body):
        return '%s answered %s, which does not match %s' % (params['url'], body.strip()[:200], params['body_regex'])
    return None


def ask_process(params, result):
    wanted = params['process']
    processes = running(wanted['name'])
    result['processes'] = ['%s %s' % (pid, ' '.join(argv)) for pid, argv in processes]
    result['pids'] = _processes.new_matching(processes, wanted['flags'], wanted['not_pids'])
    if result['pids']:
        return None
    what = 'with ' + ' '.join(_processes.flag_word(name, value) if value is not None else 'no --' + name
                              for name, value in wanted['flags'].items()) if wanted['flags'] else ''
    return 'no %s%s process %s(running: %s)' % ('new ' if wanted['not_pids'] else '', wanted['name'],
                                                what + ' ' if what else '', _processes.describe(processes))


def ask_command(params):
    try:
        done = subprocess.run(params['command'], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return '%s did not run: %s' % (' '.join(params['command']), error)
    if done.returncode != 0:
        return '%s exited %d: %s' % (' '.join(params['command']), done.returncode,
                                     (done.stderr or done.stdout).strip()[:300])
    return None


def ask_tcp(params):
    host, port = params['tcp']['host'], params['tcp']['port']
    try:
        with socket.create_connection((host.strip('[]'), port), timeout=3):
            return None
    except OSError as error:
        return 'cannot connect to %s port %d (%s)' % (host, port, error.strerror or error)


def main():
    module = AnsibleModule(argument_spec=dict(
        name=dict(type='str', default='the component'),
        url=dict(type='str'),
        status_code=dict(type='int', default=200),
        body_regex=dict(type='str'),
        validate_certs=dict(type='bool', default=False),
        process=dict(type='dict', options=dict(
            name=dict(type='str', required=True),
            flags=dict(type='dict', default={}),
            not_pids=dict(type='list', elements='str', default=[]),
        )),
        command=dict(type='list', elements='str'),
        tcp=dict(type='dict', options=dict(host=dict(type='str', required=True), port=dict(type='int', required=True))),
        timeout=dict(type='int', default=0),
        interval=dict(type='float', default=2),
        fail=dict(type='bool', default=True),
    ), supports_check_mode=True)
    params = module.params
    result = dict(changed=False)
    asks = [ask for key, ask in (('tcp', ask_tcp), ('command', ask_command), ('url', ask_url)) if params[key]]
    started = time.monotonic()
    while True:
        problems = [problem for problem in ([ask_process(params, result)] if params['process'] else []) if problem]
        problems += [problem for problem in (ask(params) for ask in asks) if problem]
        elapsed = time.monotonic() - started
        if not problems or elapsed + params['interval'] > params['timeout']:
            break
        time.sleep(params['interval'])
    result.update(ready=not problems, elapsed=round(elapsed, 1), problems=problems)
    if problems:
        result['msg'] = '%s: %s%s' % (params['name'], '; '.join(problems),
                                      ' after %d s' % params['timeout'] if params['timeout'] else '')
        if params['fail']:
            module.fail_json(**result)
    else:
        result['msg'] = '%s is ready' % params['name']
    module.exit_json(**result)


if __name__ == '__main__':
    main()
