"""The lab's default scenario: the nodes of the demo and of `molecule test`, and what they need.

    jaeger1  trixie    group jaeger     the backend
    node1    trixie    group kube_node  Debian's containerd 1.7.24, no kubelet: config.toml keys and OTEL
                                        variables; traces CRI image calls only, each a root span
    node2    trixie    group kube_node  a worker joined by `kubeadm join`: kubelet on containerd 2.x built
                                        from its Go module (OTEL variables only), whose CRI spans are
                                        children of the kubelet's; the seed's pod runs here
    node3    bookworm  group kube_node  Debian's containerd 1.6.20, no kubelet, built without the tracing plugin
    node4    trixie    group kube_node  containerd 1.7.15 built from its Go module, no kubelet, with a version 1
                                        config.toml: reads its tracing settings only from that file, where
                                        plugins are named by their short ids (the TOML path producing spans)
    cp1      trixie    group kube_control_plane
                                        a kubeadm control plane (tests/lab/controlplane.py): the kubelet
                                        runs etcd, kube-apiserver, kube-controller-manager and
                                        kube-scheduler as static pods on containerd 2.x
    cp2      trixie    group kube_control_plane, only when named
                                        a cluster of its own, with etcd and kube-apiserver run as systemd units
    gw1, gw2 trixie    group otel_gateway, only when named
                                        bare hosts for the gateway tier of collectors (molecule/gateway)

up(lab_dir) gets every program (cached), boots the nodes, starts the lab's registry on its bridge with
every image the nodes pull (tests/lab/registry.py; every containerd's hosts.toml sends registry.k8s.io and
docker.io there), makes the control plane, joins the workers, gives each kubelet node its pod network and
waits until all are Ready in `kubectl get nodes`. It serves the Jaeger release on the lab's bridge in the
official release layout (plus a tampered release, for the test that it is refused), and writes
lab_dir/extra-vars.yml (where the roles find the release), lab_dir/instance_config.yml (for molecule),
lab_dir/kubeconfig and lab_dir/bin/kubectl (tests/lab/cluster.py). A cluster without a worker (the 1.33
scenario) lets pods run on its control plane. down(lab_dir) stops it all, also after a failed up.

    python3 tests/lab/scenario.py programs [--kubernetes VERSION]   # fetch or build everything, cached
    python3 tests/lab/scenario.py up LAB_DIR [--kubernetes v1.33.13] [--nodes jaeger1,cp1]
    python3 tests/lab/scenario.py down LAB_DIR

Runs as root, Python 3.11 standard library only.
"""

import argparse
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cluster  # noqa: E402  pylint: disable=wrong-import-position
import containerd  # noqa: E402  pylint: disable=wrong-import-position
import controlplane  # noqa: E402  pylint: disable=wrong-import-position
import jaeger  # noqa: E402  pylint: disable=wrong-import-position
import kubernetes  # noqa: E402  pylint: disable=wrong-import-position
import lab  # noqa: E402  pylint: disable=wrong-import-position
import otelcol  # noqa: E402  pylint: disable=wrong-import-position
import programs as lab_programs  # noqa: E402  pylint: disable=wrong-import-position
import registry  # noqa: E402  pylint: disable=wrong-import-position
from cache import locked  # noqa: E402  pylint: disable=wrong-import-position

JAEGER_VERSION = '2.13.0'
TAMPERED_VERSION = '2.13.1'
CONTAINERD_SOURCE = controlplane.CONTAINERD_VERSION
TOML_ONLY_CONTAINERD = 'v1.7.15'     # the newest 1.7 that reads tracing from config.toml alone (1.7.16-18 env only)
TOML_ONLY_CONFIG = '''# Written by kubetrace's tests/lab/scenario.py: containerd 1.7.15 with its defaults, in a version 1 file
version = 1
'''
CRICTL_VERSION = 'v1.37.0'
RELEASE_PORT = 8081


def crictl(version=CRICTL_VERSION):
    """crictl built from its Go module (to make CRI calls, which are what Debian's containerd traces); built
    once, into a scratch folder moved in whole, under the cache's lock (two labs started at once build it once)."""
    folder = lab.cache_dir().parent / 'crictl' / version
    program = folder / 'crictl'
    with locked(folder):
        if not program.exists():
            scratch = Path(tempfile.mkdtemp(prefix='.build-', dir=folder))
            try:
                subprocess.run(['go', 'install', 'sigs.k8s.io/cri-tools/cmd/crictl@' + version], check=True,
                               env=dict(os.environ, GOBIN=str(scratch), CGO_ENABLED='0'))
                os.replace(scratch / 'crictl', program)
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
    return program


def nodes(kubernetes_version=controlplane.K8S_VERSION, names=None):
    """The nodes (all, or those named), with the programs bound into them. Each has a 'role' besides what
    lab.up() reads: 'backend', 'gateway', 'containerd' (no kubelet), 'worker' or 'control_plane'."""
    with_crictl = [(str(crictl()), '/usr/local/bin/crictl', True)]

    def kubelet_node(name, groups, role):
        if role == 'control_plane':
            description = controlplane.node(name, kubernetes_version)
        else:
            description = controlplane.kubelet_node(name, kubernetes_version, groups)
        description['binds'] += with_crictl
        return dict(description, role=role)

    # Without a control plane to join (AWX's scenario), node2 is a containerd-only node with the same
    # containerd 2.x, as the containerd role's 2.x case.
    alone = names is not None and not {'cp1', 'cp2'} & set(names)
    runtime = containerd.source(CONTAINERD_SOURCE) / 'bin'
    node2 = ({'name': 'node2', 'suite': 'trixie', 'groups': ['kube_node'], 'role': 'containerd',
              'binds': with_crictl + [(str(runtime / name), '/usr/bin/' + name, True) for name in containerd.COMMANDS]}
             if alone else kubelet_node('node2', ['kube_node'], 'worker'))
    every = [
        {'name': 'jaeger1', 'suite': 'trixie', 'groups': ['jaeger'], 'role': 'backend'},
        {'name': 'node1', 'suite': 'trixie', 'groups': ['kube_node'], 'binds': with_crictl, 'role': 'containerd'},
        node2,
        {'name': 'node3', 'suite': 'bookworm', 'groups': ['kube_node'], 'binds': with_crictl, 'role': 'containerd'},
        {'name': 'node4', 'suite': 'trixie', 'groups': ['kube_node'], 'role': 'toml_only',
         'binds': with_crictl + [(str(containerd.source(TOML_ONLY_CONTAINERD) / 'bin' / name), '/usr/bin/' + name, True)
                                 for name in containerd.COMMANDS]},
        kubelet_node('cp1', ['kube_control_plane'], 'control_plane'),
    ]
    only_named = [dict(kubelet_node('cp2', ['kube_control_plane'], 'control_plane'), layout='systemd')]
    only_named += [{'name': name, 'suite': 'trixie', 'groups': ['otel_gateway'], 'role': 'gateway'} for name in ('gw1', 'gw2')]
    unknown = set(names or []) - {node['name'] for node in every + only_named}
    if unknown:
        raise lab.LabError('no node named %s in the scenario' % ', '.join(sorted(unknown)))
    return [node for node in every + only_named if node['name'] in names] if names else every


def release_folder(lab_dir, gateways=False):
    """lab_dir/releases: v<version>/ with the archive and its checksum file, as the release has them;
    v<TAMPERED_VERSION>/ with a checksum file that does not match its archive; otelcol/v<version>/ with the
    agents' collector build, and with gateways the gateway tier's too (built only for a lab that has gateways)."""
    archive, sums = (Path(path) for path in jaeger.archive(JAEGER_VERSION))
    root = Path(lab_dir) / 'releases'
    good = root / ('v' + JAEGER_VERSION)
    good.mkdir(parents=True, exist_ok=True)
    for path in (archive, sums):
        shutil.copyfile(path, good / path.name)
    (good / (archive.name + '.sha256')).write_text(sums.read_text().split()[0])
    bad = root / ('v' + TAMPERED_VERSION)
    bad.mkdir(parents=True, exist_ok=True)
    name = archive.name.replace(JAEGER_VERSION, TAMPERED_VERSION)
    shutil.copyfile(archive, bad / name)
    with open(bad / name, 'ab') as stream:
        stream.write(b'tampered')
    digest = sums.read_text().split()[0]
    (bad / ('jaeger-%s.sha256sum.txt' % TAMPERED_VERSION)).write_text('%s *%s\n' % (digest, name))
    # The collector's builds (the agents', the gateway tier's), in the layout of its official releases (otelcol/v<version>/).
    for version in (otelcol.DEFAULT_VERSION,) + ((otelcol.GATEWAY_VERSION,) if gateways else ()):
        agent = root / 'otelcol' / ('v' + version)
        agent.mkdir(parents=True, exist_ok=True)
        for path in otelcol.archive(version):
            shutil.copyfile(path, agent / Path(path).name)
    return root


def serve(lab_dir, address):
    """A small HTTP server on the bridge that serves lab_dir/releases; its pid goes to lab_dir/http.pid."""
    log = open(Path(lab_dir) / 'http.log', 'wb')  # pylint: disable=consider-using-with
    server = subprocess.Popen([sys.executable, '-m', 'http.server', str(RELEASE_PORT), '--bind', address,
                               '--directory', str(Path(lab_dir) / 'releases')],
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    (Path(lab_dir) / 'http.pid').write_text(str(server.pid))
    deadline = time.monotonic() + 10
    while subprocess.run(['curl', '-fs', '-o', '/dev/null', 'http://%s:%d/' % (address, RELEASE_PORT)],
                         check=False).returncode != 0:
        if server.poll() is not None or time.monotonic() > deadline:
            raise lab.LabError('the release server did not start: see %s' % (Path(lab_dir) / 'http.log'))
        time.sleep(0.2)


ORIGINALS = {
    'static_pod': ('/etc/kubernetes/manifests/etcd.yaml', '/etc/kubernetes/manifests/kube-apiserver.yaml',
                   '/var/lib/kubelet/config.yaml', '/etc/containerd/config.toml'),
    'systemd': ('/etc/systemd/system/etcd.service', '/etc/systemd/system/kube-apiserver.service',
                '/var/lib/kubelet/config.yaml', '/etc/containerd/config.toml'),
    'worker': ('/var/lib/kubelet/config.yaml', '/etc/containerd/config.toml'),
    'containerd': ('/etc/containerd/config.toml',),
    'toml_only': ('/etc/containerd/config.toml',),
}
# The layouts whose node runs a kube-apiserver, which holds kubeadm's ConfigMaps.
CONTROL_PLANE_LAYOUTS = ('static_pod', 'systemd')


CONFIGMAP_SUMS = """
import hashlib, json, ssl, sys, time, urllib.request
context = ssl.create_default_context(cafile="/etc/kubernetes/pki/ca.crt")
context.load_cert_chain("/etc/kubernetes/pki/lab-admin.crt", "/etc/kubernetes/pki/lab-admin.key")
def read(url, deadline=time.monotonic() + 90):
    while True:  # kube-apiserver answers late for a while after etcd restarts
        try:
            return json.load(urllib.request.urlopen(url, context=context, timeout=10))
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(2)
sums = {}
for name, key in (("kubeadm-config", "ClusterConfiguration"), ("kubelet-config", "kubelet")):
    data = read("https://%s:6443/api/v1/namespaces/kube-system/configmaps/%s" % (sys.argv[1], name))["data"][key]
    sums["configmap %s %s" % (name, key)] = hashlib.sha256(data.encode()).hexdigest()
print(json.dumps(sums))
"""


def configmap_sums(lab_dir, name):
    """{'configmap NAME KEY': sha256} of the kubeadm-config and kubelet-config data, read on the node."""
    address = lab.load_state(str(lab_dir))['nodes'][name]['address']
    return json.loads(lab.ssh(str(lab_dir), name, 'python3', '-c', shlex.quote(CONFIGMAP_SUMS), address).stdout)


def changed_since_provision(lab_dir, name):
    """What differs on a control-plane node from lab_dir/<name>-originals.json: the files and ConfigMaps
    that are not back to their bytes, as a list (empty when every one is)."""
    originals = json.loads((Path(lab_dir) / ('%s-originals.json' % name)).read_text())
    files = [what for what in originals if not what.startswith('configmap ')]
    lines = lab.ssh(str(lab_dir), name, 'sha256sum', *files, check=False).stdout.splitlines()
    now = {path: digest for digest, path in (line.split() for line in lines)}
    if any(what.startswith('configmap ') for what in originals):
        now.update(configmap_sums(lab_dir, name))
    return [what for what, digest in originals.items() if now.get(what) != digest]


def record_originals(lab_dir, name, layout='static_pod'):
    """lab_dir/<name>-originals.json: sha256 of the files the roles edit (or, for units, the files their
    drop-ins override), as kubeadm and the lab left them, and on a control plane of kubeadm's ConfigMaps,
    so a test can tell that disable.yml put every byte back; the files themselves go to
    lab_dir/originals/<name>/ (cluster.node_files)."""
    lines = lab.ssh(str(lab_dir), name, 'sha256sum', *ORIGINALS[layout]).stdout.splitlines()
    sums = {path: digest for digest, path in (line.split() for line in lines)}
    if layout in CONTROL_PLANE_LAYOUTS:
        sums.update(configmap_sums(lab_dir, name))
    (Path(lab_dir) / ('%s-originals.json' % name)).write_text(json.dumps(sums, indent=2) + '\n')
    cluster.node_files(lab_dir, name, ORIGINALS[layout])


def programs(kubernetes_version=controlplane.K8S_VERSION):
    """Fetch or build everything the scenario runs (cached), so that up() only boots."""
    kubernetes.kubernetes(kubernetes_version)
    cluster.images(kubernetes_version)
    jaeger.archive(JAEGER_VERSION)
    otelcol.archive(otelcol.DEFAULT_VERSION)
    containerd.source(CONTAINERD_SOURCE)
    containerd.source(TOML_ONLY_CONTAINERD)
    lab_programs.cni_plugins()
    lab_programs.registry()
    crictl()
    for suite in ('bookworm', 'trixie'):
        lab.base(suite)


def build_cluster(lab_dir, node_list, kubernetes_version, bridge, join_token=None):
    """The registry with every image, the mirrors on every containerd, the control planes, the workers
    joined to the first one, pod networks, and every kubelet node Ready; returns timings in seconds."""
    seconds, began = {}, time.monotonic()
    endpoint = registry.start(lab_dir, bridge)
    for tar in cluster.images(kubernetes_version):
        registry.push(endpoint, tar)
    seconds['registry'] = round(time.monotonic() - began, 1)
    by_role = {role: [node for node in node_list if node['role'] == role]
               for role in ('containerd', 'toml_only', 'worker', 'control_plane')}
    for node in by_role['containerd']:
        controlplane.mirror_only(lab_dir, node['name'], endpoint)
        record_originals(lab_dir, node['name'], 'containerd')
    for node in by_role['toml_only']:     # no registry: it only answers ctr, and traces every call it serves
        controlplane.put(lab_dir, node['name'], '/etc/containerd/config.toml', TOML_ONLY_CONFIG)
        controlplane.sh(lab_dir, node['name'], 'systemctl restart containerd && ctr version >/dev/null')
        record_originals(lab_dir, node['name'], 'toml_only')
    control_planes = [node['name'] for node in by_role['control_plane']]
    workers = [node['name'] for node in by_role['worker']]
    if workers and not control_planes:
        raise lab.LabError('workers %s need a control plane to join' % ', '.join(workers))
    for node in by_role['control_plane']:
        controlplane.provision(lab_dir, node['name'], endpoint, kubernetes_version,
                               layout=node.get('layout', 'static_pod'))
        cluster.write_kubeconfig(lab_dir, node['name'], kubernetes_version, first=node['name'] == control_planes[0])
    seconds['control_plane'] = round(time.monotonic() - began - sum(seconds.values()), 1)
    for worker in workers:
        cluster.join(lab_dir, worker, control_planes[0], endpoint, kubernetes_version, token=join_token)
    seconds['join'] = round(time.monotonic() - began - sum(seconds.values()), 1)
    # Workers belong to the first control plane's cluster; any other control plane is a cluster of its own.
    members = {cp: [cp] for cp in control_planes}
    if control_planes:
        members[control_planes[0]] += workers
    for cp, names in members.items():
        cluster.network(lab_dir, cp, names)
        if names == [cp]:
            cluster.untaint(lab_dir, cp)
        cluster.wait_ready(lab_dir, cp, names)
    seconds['ready'] = round(time.monotonic() - began - sum(seconds.values()), 1)
    for node in by_role['control_plane']:
        record_originals(lab_dir, node['name'], node.get('layout', 'static_pod'))
    for worker in workers:
        record_originals(lab_dir, worker, 'worker')
    return seconds


def up(lab_dir, kubernetes_version=controlplane.K8S_VERSION, names=None, join_token=None):
    """Boot the scenario (all nodes, or those named); return the inventory path. When anything fails the
    lab is taken down again and LabError (or RegistryError) names the node and the cause.

    join_token: the bootstrap token workers join with instead of a new one (a test gives a wrong one)."""
    lab_dir = Path(lab_dir).resolve()
    lab_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    node_list = nodes(kubernetes_version, names)
    release_folder(lab_dir, gateways=any(node['role'] == 'gateway' for node in node_list))
    for suite in {node['suite'] for node in node_list}:
        lab.base(suite)
    cluster.images(kubernetes_version)
    prepared = time.monotonic()
    state = lab.up(str(lab_dir), node_list)
    booted = time.monotonic()
    bridge = state['bridge']['address'].split('/')[0]
    try:
        steps = build_cluster(lab_dir, node_list, kubernetes_version, bridge, join_token)
        serve(lab_dir, bridge)
    except BaseException:
        down(lab_dir)
        raise
    release_base = 'http://%s:%d' % (bridge, RELEASE_PORT)
    (lab_dir / 'extra-vars.yml').write_text(
        '# Written by tests/lab/scenario.py: the lab serves the Jaeger release on its bridge.\n'
        'kubetrace_lab_release_base: "%s"\n'
        'jaeger_release_url: "{{ kubetrace_lab_release_base }}/v{{ jaeger_version }}"\n'
        'jaeger_version: "%s"\n'
        '# Spans leave containerd every half second, so the demo and the tests see them at once.\n'
        'containerd_tracing_export_delay_ms: 500\n'
        '# Every request traced in the lab, so that one run shows the whole path of a request.\n'
        'apiserver_tracing_sampling_rate_per_million: 1000000\n'
        'kubelet_tracing_sampling_rate_per_million: 1000000\n'
        '# The audit log explain.yml reads (who made each request, to the microsecond).\n'
        'apiserver_audit_log: true\n'
        'kubernetes_version: "%s"\n'
        '# The node agents\' collector (built by tests/lab/otelcol.py), served in its release layout; the demo\n'
        '# keeps the direct mode (components send to Jaeger themselves): molecule/agents runs the agents.\n'
        'otel_agent_release_url: "{{ kubetrace_lab_release_base }}/otelcol/v{{ otel_agent_version }}"\n'
        'otel_agent_distribution: "%s"\n'
        'otel_agent_version: "%s"\n'
        'kubetrace_agent: false\n'
        '# The image registry every node pulls from (registry.k8s.io and docker.io are mirrored to it).\n'
        'kubetrace_lab_registry: "%s:%d"\n'
        % (release_base, JAEGER_VERSION, kubernetes_version, otelcol.DISTRIBUTION, otelcol.DEFAULT_VERSION, bridge,
           registry.PORT))
    instances = ['- instance: %s\n  address: %s\n  user: root\n  port: 22\n  identity_file: %s\n'
                 % (name, node['address'], lab_dir / 'ssh_key') for name, node in state['nodes'].items()]
    (lab_dir / 'instance_config.yml').write_text(''.join(instances))
    timing = {'programs_and_bases': round(prepared - started, 1), 'boot': round(booted - prepared, 1), **steps,
              'total': round(time.monotonic() - started, 1)}
    (lab_dir / 'up-seconds.json').write_text(json.dumps(timing, indent=2) + '\n')
    print('lab: up in %(total).0f s: programs and bases %(programs_and_bases).0f s, boot %(boot).0f s,'
          ' registry %(registry).0f s, control plane %(control_plane).0f s, join %(join).0f s,'
          ' all nodes Ready %(ready).0f s later' % timing, file=sys.stderr)
    return lab_dir / 'inventory.yml'


def down(lab_dir):
    """Stop the release server, the registry and the nodes (safe to run twice, and after a failed up)."""
    lab_dir = Path(lab_dir).resolve()
    pid_file = lab_dir / 'http.pid'
    if pid_file.exists():
        try:
            os.killpg(int(pid_file.read_text()), signal.SIGTERM)
        except ProcessLookupError:
            pass
        pid_file.unlink()
    registry.stop(lab_dir)
    controlplane.down(lab_dir)      # lab.down, and the cgroup folders the kubelets made on the host


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('command', choices=['programs', 'up', 'down'])
    parser.add_argument('lab_dir', nargs='?')
    parser.add_argument('--kubernetes', default=controlplane.K8S_VERSION,
                        help='release of the control-plane node (default %(default)s)')
    parser.add_argument('--nodes', help='comma-separated names of the nodes to boot (default: all)')
    args = parser.parse_args(argv)
    try:
        if args.command == 'programs':
            programs(args.kubernetes)
        elif not args.lab_dir:
            parser.error('%s needs LAB_DIR' % args.command)
        elif args.command == 'up':
            print(up(args.lab_dir, args.kubernetes, args.nodes.split(',') if args.nodes else None))
        else:
            down(args.lab_dir)
    except (lab.LabError, registry.RegistryError) as error:
        print('lab: error: %s' % error, file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
