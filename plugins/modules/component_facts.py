#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: component_facts
short_description: Find the Kubernetes components on a node, their versions and how they run
version_added: 0.1.0
description:
  - Looks for kube-apiserver, kubelet, etcd, containerd and CRI-O on the node and reports, for each,
    whether it is there, its version, and whether it runs as a static pod (a manifest in
    O(manifest_dir)) or a systemd unit.
  - For containerd it asks the running daemon (C(ctr plugins ls)) whether it was built with its tracing
    plugins; some distribution builds were not.
  - A component that is absent is reported with C(present=false); that is not an error.
  - Standard library only; changes nothing on the node.
options:
  manifest_dir:
    description: The kubelet's static pod folder.
    type: path
    default: /etc/kubernetes/manifests
  containerd_address:
    description: containerd's gRPC socket, used to list its plugins.
    type: path
    default: /run/containerd/containerd.sock
  containerd_config:
    description: containerd's configuration file.
    type: path
    default: /etc/containerd/config.toml
  search_paths:
    description: Folders searched for the programs, after those of the node's C(PATH).
    type: list
    elements: path
    default: [/usr/local/bin, /usr/bin, /usr/sbin, /usr/local/sbin, /opt/bin]
  timeout:
    description: Seconds any one program may take to answer.
    type: int
    default: 10
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.facts
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  facts:
    support: full
  platform:
    platforms: posix
author:
  - kubetrace.tracing contributors (@kubetrace)
'''

EXAMPLES = r'''
- name: Learn what runs on the node
  kubetrace.tracing.component_facts:

- name: Say which nodes have a containerd without tracing
  ansible.builtin.debug:
    msg: "containerd {{ ansible_facts['kubetrace_components']['containerd']['version'] }} has no tracing plugin"
  when:
    - ansible_facts['kubetrace_components']['containerd']['present']
    - ansible_facts['kubetrace_components']['containerd']['tracing_plugin'] is false
'''

RETURN = r'''
ansible_facts:
  description: Facts to add to ansible_facts.
  returned: always
  type: complex
  contains:
    kubetrace_components:
      description:
        - One entry per component - C(kube_apiserver), C(kubelet), C(etcd), C(containerd), C(crio).
        - Each has C(present), C(version), C(runs_as) (C(static_pod), C(systemd), C(installed) for a
          program that neither runs, or C(absent)), C(binary), C(manifest) and C(unit)
          (C(name), C(active), C(fragment_path), C(drop_in_paths)).
        - kube_apiserver adds C(audit_policy_file) and C(audit_log_path) from its manifest or command line (null
          when it has none).
        - kubelet adds C(config) and C(config_dir) from its command line, and C(config_dir_env), whether its unit or
          environment files set C(KUBELET_CONFIG_DROPIN_DIR_ALPHA) (kubelets 1.28-1.29 read drop-ins only with it).
        - containerd adds C(tracing_plugin) (true, false, or null when the daemon could not be asked),
          C(tracing_plugin_status), C(tracing_plugin_error), C(config) and C(config_version).
      returned: always
      type: dict
      sample:
        containerd:
          present: true
          version: 1.7.24
          runs_as: systemd
          binary: /usr/bin/containerd
          manifest: null
          unit: {name: containerd.service, active: active, fragment_path: /lib/systemd/system/containerd.service,
                 drop_in_paths: []}
          tracing_plugin: true
          tracing_plugin_status: {otlp: skip, tracing: ok}
          tracing_plugin_error: null
          config: /etc/containerd/config.toml
          config_version: 2
    kubetrace_components_asked:
      description: The options these facts were gathered with, so that a role can tell whether they serve it.
      returned: always
      type: dict
      sample: {manifest_dir: /etc/kubernetes/manifests, containerd_address: /run/containerd/containerd.sock,
               containerd_config: /etc/containerd/config.toml}
'''

import os
import shutil

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubetrace.tracing.plugins.module_utils import _components

COMPONENTS = (
    # fact name, program, systemd unit, image name of its static pod
    ('kube_apiserver', 'kube-apiserver', 'kube-apiserver.service', 'kube-apiserver'),
    ('kubelet', 'kubelet', 'kubelet.service', None),
    ('etcd', 'etcd', 'etcd.service', 'etcd'),
    ('containerd', 'containerd', 'containerd.service', None),
    ('crio', 'crio', 'crio.service', None),
)


class Node:
    """What the node says when asked: programs, units, files."""

    def __init__(self, module):
        self.module = module
        self.timeout = module.params['timeout']
        path = os.environ.get('PATH', '').split(os.pathsep) + module.params['search_paths']
        self.path = os.pathsep.join(dict.fromkeys(folder for folder in path if folder))
        self.systemctl = shutil.which('systemctl', path=self.path)

    def run(self, argv):
        """Run a program with a time limit (coreutils' timeout: a hung daemon must not hang the play)."""
        limit = shutil.which('timeout', path=self.path)
        if limit:
            argv = [limit, str(self.timeout)] + list(argv)
        return self.module.run_command(argv, environ_update={'LC_ALL': 'C'})

    def which(self, program):
        return shutil.which(program, path=self.path)

    def unit(self, name):
        if not self.systemctl:
            return None
        rc, out, _err = self.run([self.systemctl, 'show', '--no-pager', name, '--property',
                                  'LoadState,ActiveState,FragmentPath,DropInPaths,ExecStart,Environment'])
        properties = _components.parse_systemctl_show(out) if rc == 0 else {}
        if properties.get('LoadState') != 'loaded':
            return None
        return properties

    def read(self, path):
        try:
            with open(path, encoding='utf-8', errors='replace') as handle:
                return handle.read()
        except OSError:
            return None


def static_pods(node, manifest_dir):
    """{image name: (manifest path, version)} for the manifests in the static pod folder."""
    found = {}
    try:
        names = sorted(os.listdir(manifest_dir))
    except OSError:
        return found
    for name in names:
        path = os.path.join(manifest_dir, name)
        if name.startswith('.') or not name.endswith(('.yaml', '.yml', '.json')) or not os.path.isfile(path):
            continue
        for image in _components.manifest_images(node.read(path)):
            image_name, version = _components.image_name_and_tag(image)
            found.setdefault(image_name, (path, version))
    return found


def describe(node, program, unit_name, manifest):
    unit = node.unit(unit_name)
    argv = _components.unit_argv(unit) if unit else []
    binary = argv[0] if argv and os.path.isfile(argv[0]) else node.which(program)
    version = None
    if binary:
        rc, out, err = node.run([binary, '--version'])
        if rc == 0:
            version = _components.version_from_output(out or err)
    if manifest:
        runs_as = 'static_pod'
        version = manifest[1] or version
    elif unit:
        runs_as = 'systemd'
    elif binary:
        runs_as = 'installed'
    else:
        runs_as = 'absent'
    return dict(
        present=runs_as != 'absent', version=version, runs_as=runs_as, binary=binary,
        manifest=manifest[0] if manifest else None,
        unit=dict(name=unit_name, active=unit.get('ActiveState'), fragment_path=unit.get('FragmentPath') or None,
                  drop_in_paths=(unit.get('DropInPaths') or '').split()) if unit else None,
    ), unit, argv


DROPIN_VARIABLE = 'KUBELET_CONFIG_DROPIN_DIR_ALPHA'   # kubelets 1.28-1.29 read --config-dir only with it


def kubelet_details(node, unit, argv):
    environment = unit.get('Environment', '') if unit else ''
    words = list(argv) + _components.environment_words(environment)
    names = _components.environment_names(environment)
    for env_file in ('/var/lib/kubelet/kubeadm-flags.env', '/etc/default/kubelet', '/etc/sysconfig/kubelet'):
        text = node.read(env_file)
        words += _components.environment_words(text)
        names |= _components.environment_names(text)
    return dict(config=_components.flag_value(words, 'config'),
                config_dir=_components.flag_value(words, 'config-dir'),
                config_dir_env=DROPIN_VARIABLE in names)


def apiserver_details(node, facts, argv):
    """Where kube-apiserver's audit policy and log are, from its manifest or its command line (explain reads the
    log there, and the apiserver role leaves an operator's own audit policy alone)."""
    text = node.read(facts['manifest']) if facts['manifest'] else None
    found = {}
    for name in ('audit-policy-file', 'audit-log-path'):
        found[name.replace('-', '_')] = (
            _components.manifest_flag(text, name) if text is not None else _components.flag_value(argv, name))
    return found


def containerd_details(node, params, binary):
    details = dict(tracing_plugin=None, tracing_plugin_status=None, tracing_plugin_error=None,
                   config=params['containerd_config'] if os.path.isfile(params['containerd_config']) else None)
    details['config_version'] = _components.toml_config_version(node.read(details['config'])) \
        if details['config'] else None
    ctr = node.which('ctr') or (os.path.join(os.path.dirname(binary), 'ctr') if binary else None)
    if not ctr or not os.path.isfile(ctr):
        details['tracing_plugin_error'] = 'ctr not found; cannot ask containerd for its plugins'
    elif not os.path.exists(params['containerd_address']):
        details['tracing_plugin_error'] = 'containerd is not running (no socket at %s)' % params['containerd_address']
    else:
        rc, out, err = node.run([ctr, '--address', params['containerd_address'], 'plugins', 'ls'])
        if rc == 0:
            details.update(_components.tracing_plugins(_components.parse_ctr_plugins(out)))
        else:
            details['tracing_plugin_error'] = 'ctr plugins ls failed: %s' % (err or out).strip()
    return details


def main():
    module = AnsibleModule(argument_spec=dict(
        manifest_dir=dict(type='path', default='/etc/kubernetes/manifests'),
        containerd_address=dict(type='path', default='/run/containerd/containerd.sock'),
        containerd_config=dict(type='path', default='/etc/containerd/config.toml'),
        search_paths=dict(type='list', elements='path',
                          default=['/usr/local/bin', '/usr/bin', '/usr/sbin', '/usr/local/sbin', '/opt/bin']),
        timeout=dict(type='int', default=10),
    ), supports_check_mode=True)
    node = Node(module)
    pods = static_pods(node, module.params['manifest_dir'])
    facts = {}
    for fact, program, unit_name, image in COMPONENTS:
        facts[fact], unit, argv = describe(node, program, unit_name, pods.get(image) if image else None)
        if fact == 'kubelet':
            facts[fact].update(kubelet_details(node, unit, argv))
        if fact == 'kube_apiserver':
            facts[fact].update(apiserver_details(node, facts[fact], argv))
        if fact == 'containerd':
            facts[fact].update(containerd_details(node, module.params, facts[fact]['binary'])
                               if facts[fact]['present'] else
                               dict(tracing_plugin=None, tracing_plugin_status=None,
                                    tracing_plugin_error='containerd is absent', config=None, config_version=None))
    asked = {name: module.params[name] for name in ('manifest_dir', 'containerd_address', 'containerd_config')}
    module.exit_json(changed=False, ansible_facts=dict(kubetrace_components=facts, kubetrace_components_asked=asked))


if __name__ == '__main__':
    main()
