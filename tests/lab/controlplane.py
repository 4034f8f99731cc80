"""A lab control-plane node as kubeadm lays it out: the real kubelet runs etcd, kube-apiserver,
kube-controller-manager and kube-scheduler as static pods on the node's containerd.

images(k8s, etcd)          OCI image-layout tars built by hand from the static programs: kube-apiserver,
                           kube-controller-manager, kube-scheduler and etcd named as kubeadm's manifests
                           name them, and the pause image containerd's CRI config names. Cached; the lab's
                           registry serves them (tests/lab/registry.py), and the nodes pull them from it.
node(name, k8s, etcd)      the node description for lab.up(): trixie, group kube_control_plane, the
                           programs bound read-only, the nspawn options a kubelet needs.
kubelet_node(name, k8s, groups)
                           the same for any node that runs a kubelet (workers too).
provision(lab_dir, name, registry, k8s, etcd)
                           on the booted node: cgroup controllers read-write, containerd's CRI config with
                           the lab's registry as the mirror of registry.k8s.io and docker.io, `kubeadm init
                           phase ...` (certs, kubeconfigs, the four control-plane manifests, kubelet-start),
                           the kubelet as the kubeadm package runs it; waits for /readyz, etcd's /health
                           and the controller-manager's and scheduler's /healthz, then uploads kubeadm's
                           ConfigMaps and makes the bootstrap token RBAC that `kubeadm join` needs.
up(lab_dir, version) / down(lab_dir)
                           a one-node lab with just that node (and the registry).

    python3 tests/lab/controlplane.py images [--version v1.37.2] [--etcd v3.6.16]
    python3 tests/lab/controlplane.py up LAB_DIR [--version v1.37.2] [--etcd v3.6.16] [--name cp1]
    python3 tests/lab/controlplane.py down LAB_DIR

Take such a lab down with this down(), not lab.down() alone: the kubelet makes cgroup v1 folders on the
host (/sys/fs/cgroup/<controller>/kubetrace-<lab id>-<node>, see cgroup_root()) that only it removes.

Runs as root, Python 3.11 standard library only (`go` builds the pause program once).
"""

import argparse
import hashlib
import io
import json
import os
import re
import shlex
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import containerd  # noqa: E402  pylint: disable=wrong-import-position
import kubernetes  # noqa: E402  pylint: disable=wrong-import-position
import lab  # noqa: E402  pylint: disable=wrong-import-position
import programs  # noqa: E402  pylint: disable=wrong-import-position
import registry  # noqa: E402  pylint: disable=wrong-import-position
from cache import locked, sha256  # noqa: E402  pylint: disable=wrong-import-position

K8S_VERSION = "v1.37.2"
ETCD_VERSION = kubernetes.ETCD_VERSION
# The containerd of every node that runs a kubelet: built from its Go module (containerd.source()).
CONTAINERD_VERSION = "v2.2.9"
REGISTRY = "registry.k8s.io"
NODE_ROOT = "/opt/kubetrace-lab"            # where the node finds the bound programs
CNI_BIN = "/opt/cni/bin"                    # where containerd's CRI looks for the CNI plugins
PATCHES = "/etc/kubernetes/kubetrace-lab-patches"   # kubeadm's patches folder: what differs per node
# The pods' addresses: kube-controller-manager gives each node a /24 of it (its podCIDR).
POD_SUBNET = "10.244.0.0/16"
IMAGE_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
PAUSE_SOURCE = """\
// pause: the sandbox process of a pod. Sleeps until SIGTERM or SIGINT (kubetrace lab, tests/lab/controlplane.py).
package main

import (
\t"os"
\t"os/signal"
\t"syscall"
)

func main() {
\tsignals := make(chan os.Signal, 1)
\tsignal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
\t<-signals
}
"""


def log(message):
    """Progress on stderr."""
    print(f"controlplane: {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------ images

def images_dir():
    """lab.cache_dir().parent / 'images': the image tars and the pause program."""
    folder = lab.cache_dir().parent / "images"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def pause_program():
    """A static pause program built once with `go build` (CGO_ENABLED=0); returns its path."""
    folder = images_dir() / "pause"
    program = folder / "bin" / "pause"
    with locked(folder):
        if program.exists():
            return program
        scratch = Path(tempfile.mkdtemp(prefix=".build-", dir=folder))
        try:
            (scratch / "go.mod").write_text("module kubetrace.lab/pause\n\ngo 1.21\n")
            (scratch / "main.go").write_text(PAUSE_SOURCE)
            env = dict(os.environ, CGO_ENABLED="0", GOOS="linux", GOARCH="amd64", GOTOOLCHAIN="local",
                       GOFLAGS="-mod=mod")
            lab.run(["go", "build", "-trimpath", "-ldflags=-s -w", "-o", scratch / "pause", "."],
                    cwd=scratch, env=env, capture=True)
            program.parent.mkdir(exist_ok=True)
            os.replace(scratch / "pause", program)
        finally:
            lab.remove_tree(scratch)
    return program


def kubeadm_images(k8s_version):
    """{short name: full reference} of the images `kubeadm config images list` names for a version."""
    kubeadm = kubernetes.kubernetes(k8s_version) / "kubeadm"
    listed = lab.run([kubeadm, "config", "images", "list", "--kubernetes-version", k8s_version],
                     capture=True).stdout.split()
    return {ref.rpartition("/")[2].partition(":")[0]: ref for ref in listed}


def etcd_image(etcd_version):
    """The etcd image reference for our etcd build: registry.k8s.io/etcd:3.6.16-0 for v3.6.16 (kubeadm's
    tag scheme; kubeadm's own default tag for a release names another etcd, so the config sets this one)."""
    return f"{REGISTRY}/etcd:{etcd_version.lstrip('v')}-0"


def _tar_info(name, size=0, mode=0o755, kind=tarfile.REGTYPE):
    """A deterministic tar entry (root-owned, mtime 0)."""
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.type, info.mtime = size, mode, kind, 0
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info


def _layer(path, files):
    """Write an uncompressed layer tar with the given {path in image: host file} to path (plus the
    folders above each file, and /tmp); return its sha256 digest."""
    folders = {"tmp"}
    for inside in files:
        parts = inside.strip("/").split("/")[:-1]
        folders |= {"/".join(parts[:i + 1]) for i in range(len(parts))}
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        for folder in sorted(folders):
            tar.addfile(_tar_info(folder + "/", mode=0o1777 if folder == "tmp" else 0o755, kind=tarfile.DIRTYPE))
        for inside, source in sorted(files.items()):
            with open(source, "rb") as stream:
                tar.addfile(_tar_info(inside.strip("/"), size=os.fstat(stream.fileno()).st_size), stream)
    return "sha256:" + sha256(path)


def _add_blob(tar, data):
    """Add bytes as blobs/sha256/<digest> to an OCI layout tar; return its descriptor fields."""
    digest = hashlib.sha256(data).hexdigest()
    tar.addfile(_tar_info(f"blobs/sha256/{digest}", size=len(data), mode=0o644), io.BytesIO(data))
    return {"digest": "sha256:" + digest, "size": len(data)}


def build_image(reference, files, out, entrypoint=None):
    """Write an OCI image-layout tar (one layer) for `reference` to out; `ctr images import` takes it."""
    out = Path(out)
    tmp_layer = out.with_name(f".{out.name}.layer-{os.getpid()}")
    tmp_out = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    try:
        layer_digest = _layer(tmp_layer, files)
        config = {"architecture": "amd64", "os": "linux",
                  "created": "1970-01-01T00:00:00Z",
                  "config": {"Env": [IMAGE_PATH], "WorkingDir": "/"},
                  "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
                  "history": [{"created": "1970-01-01T00:00:00Z",
                               "created_by": "kubetrace tests/lab/controlplane.py"}]}
        if entrypoint:
            config["config"]["Entrypoint"] = entrypoint
        with tarfile.open(tmp_out, "w", format=tarfile.PAX_FORMAT) as tar:
            tar.addfile(_tar_info("blobs/", kind=tarfile.DIRTYPE))
            tar.addfile(_tar_info("blobs/sha256/", kind=tarfile.DIRTYPE))
            with open(tmp_layer, "rb") as stream:
                tar.addfile(_tar_info(f"blobs/sha256/{layer_digest.split(':')[1]}",
                                      size=os.fstat(stream.fileno()).st_size, mode=0o644), stream)
            config_desc = _add_blob(tar, json.dumps(config, sort_keys=True).encode())
            manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config_desc},
                        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                                    "digest": layer_digest, "size": tmp_layer.stat().st_size}]}
            manifest_desc = _add_blob(tar, json.dumps(manifest, sort_keys=True).encode())
            annotations = {"io.containerd.image.name": reference,            # what ctr import names it
                           "org.opencontainers.image.ref.name": reference.rpartition(":")[2]}
            index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                     "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", **manifest_desc,
                                    "platform": {"architecture": "amd64", "os": "linux"},
                                    "annotations": annotations}]}
            for name, document in (("oci-layout", {"imageLayoutVersion": "1.0.0"}), ("index.json", index)):
                data = json.dumps(document, sort_keys=True).encode()
                tar.addfile(_tar_info(name, size=len(data), mode=0o644), io.BytesIO(data))
        os.replace(tmp_out, out)
    finally:
        tmp_layer.unlink(missing_ok=True)
        tmp_out.unlink(missing_ok=True)
    return out


def cached_image(reference, files, entrypoint=None):
    """The image tar for reference from the cache; (re)built when missing or when a program changed."""
    out = images_dir() / (reference.replace("/", "_").replace(":", "_") + ".tar")
    recipe = {"reference": reference, "entrypoint": entrypoint,
              "files": {inside: sha256(source) for inside, source in sorted(files.items())}}
    stamp = out.with_name(out.name + ".json")
    with locked(images_dir()):
        if out.exists() and stamp.exists() and json.loads(stamp.read_text()) == recipe:
            return out
        log(f"building image {reference}")
        build_image(reference, files, out, entrypoint)
        stamp.write_text(json.dumps(recipe, indent=2, sort_keys=True) + "\n")
    return out


CONTROL_PLANE_PROGRAMS = ("kube-apiserver", "kube-controller-manager", "kube-scheduler")


def image_refs(k8s_version, etcd_version=ETCD_VERSION):
    """{"kube-apiserver": ref, "kube-controller-manager": ref, "kube-scheduler": ref, "etcd": ref,
    "pause": ref} for a release and our etcd."""
    listed = kubeadm_images(k8s_version)
    refs = {program: listed[program] for program in CONTROL_PLANE_PROGRAMS}
    return dict(refs, etcd=etcd_image(etcd_version), pause=listed["pause"])


def images(k8s_version=K8S_VERSION, etcd_version=ETCD_VERSION):
    """OCI image-layout tars (cached) of the control-plane programs, etcd (with etcdctl) and pause, named
    as kubeadm and the CRI config name them; the lab's registry serves them (registry.push)."""
    refs = image_refs(k8s_version, etcd_version)
    k8s_bin = kubernetes.kubernetes(k8s_version)
    etcd_bin = kubernetes.etcd(etcd_version)
    return [
        *(cached_image(refs[program], {f"/usr/local/bin/{program}": k8s_bin / program})
          for program in CONTROL_PLANE_PROGRAMS),
        cached_image(refs["etcd"], {"/usr/local/bin/etcd": etcd_bin / "etcd",
                                    "/usr/local/bin/etcdctl": etcd_bin / "etcdctl"}),
        cached_image(refs["pause"], {"/pause": pause_program()}, entrypoint=["/pause"]),
    ]


# -------------------------------------------------------------------------------------------- node

def kubelet_node(name, k8s_version=K8S_VERSION, groups=("kube_node",), address=None):
    """The node description for lab.up() of a trixie node that runs a kubelet: kubelet and kubeadm at
    /usr/bin (as the Kubernetes packages install them), all Kubernetes programs under
    /opt/kubetrace-lab/kubernetes/bin, containerd 2.x built from its module bound over Debian's (its CRI
    spans are children of the kubelet's; Debian's build drops that instrumentation), and the CNI plugins
    at /opt/cni/bin, all read-only.

    The kubelet's OOM watcher opens /dev/kmsg and stops without it ("open /dev/kmsg: no such file or
    directory"): nspawn gives it with --bind-ro=/dev/kmsg, and reading it needs CAP_SYSLOG (the host has
    kernel.dmesg_restrict=1; nspawn drops that capability by default). The CNI plugins make the pods'
    bridge, veths and loopback ("operation not permitted" without CAP_NET_ADMIN, which nspawn leaves out when
    it is handed a network namespace): the node's own namespace, made by the lab. /var/lib/kubelet gets a
    tmpfs like containerd's folder."""
    k8s_bin = kubernetes.kubernetes(k8s_version)
    runtime = containerd.source(CONTAINERD_VERSION) / "bin"
    binds = [(str(k8s_bin / "kubelet"), "/usr/bin/kubelet", True),
             (str(k8s_bin / "kubeadm"), "/usr/bin/kubeadm", True),
             (str(k8s_bin / "kubectl"), "/usr/bin/kubectl", True),      # as the Kubernetes packages put it there
             (str(k8s_bin), f"{NODE_ROOT}/kubernetes/bin", True),
             (str(programs.cni_plugins()), CNI_BIN, True)]
    binds += [(str(runtime / command), f"/usr/bin/{command}", True) for command in containerd.COMMANDS]
    description = {"name": name, "suite": "trixie", "groups": list(groups), "binds": binds,
                   "tmpfs": ["/var/lib/containerd", "/var/lib/kubelet"],
                   "nspawn_args": ["--bind-ro=/dev/kmsg", "--capability=CAP_SYSLOG,CAP_NET_ADMIN"]}
    if address:
        description["address"] = address
    return description


def node(name="cp1", k8s_version=K8S_VERSION, etcd_version=ETCD_VERSION, address=None):
    """The node description for lab.up() of a control-plane node: kubelet_node() in group
    kube_control_plane, plus etcd and etcdctl under /opt/kubetrace-lab/etcd/bin (etcdctl also at
    /usr/local/bin). Builds the control plane's images too, so that up() only boots."""
    etcd_bin = kubernetes.etcd(etcd_version)
    images(k8s_version, etcd_version)
    description = kubelet_node(name, k8s_version, ("kube_control_plane",), address)
    description["binds"] += [(str(etcd_bin / "etcdctl"), "/usr/local/bin/etcdctl", True),
                             (str(etcd_bin), f"{NODE_ROOT}/etcd/bin", True)]
    return description


# -------------------------------------------------------------------------------- files on the node

def cgroup_root(lab_dir, name):
    """The kubelet's cgroupRoot for a node: /kubetrace-<lab id>-<node>.

    nspawn gives the node the host's cgroup v1 controller hierarchies (cpu, memory, ... at the host's
    own cgroup of the process that started it), so a kubelet's default /kubepods would land at the host's
    root, shared by every control-plane node and left behind at down. A name of its own per node keeps
    nodes apart, and down() finds and removes exactly these folders.
    """
    return f"kubetrace-{lab.lab_id(lab_dir)}-{name}"


# kubelet's container manager sets these sysctls itself when they differ and stops when it cannot
# (nspawn mounts /proc/sys read-only). They are global, not per node: rather than changing the host,
# the node gets read-only files with the expected values bound over the /proc/sys entries, so the
# kubelet reads what it wants and writes nothing. The host keeps its own values.
KUBELET_SYSCTLS = {"vm/overcommit_memory": 1, "vm/panic_on_oom": 0, "kernel/panic": 10,
                   "kernel/panic_on_oops": 1, "kernel/keys/root_maxkeys": 1000000,
                   "kernel/keys/root_maxbytes": 25000000}

PREPARE_SCRIPT = """\
#!/bin/sh
# Written by kubetrace's tests/lab/controlplane.py: what a kubelet needs inside a systemd-nspawn node.
set -e
# nspawn mounts the cgroup v1 controllers read-only; a plain `remount,rw` says busy, a bind remount works.
for folder in /sys/fs/cgroup/*/; do
    case "$folder" in */unified/|*/systemd/) continue ;; esac
    mount -o remount,bind,rw "$folder"
done
# The kubelet's cgroupRoot must exist in every hierarchy before it starts.
for folder in /sys/fs/cgroup/*/; do
    mkdir -p "${{folder}}{cgroup_root}"
done
# /proc/sys is read-only: show the kubelet the values it wants (see KUBELET_SYSCTLS in controlplane.py).
mkdir -p /run/kubetrace-lab/sysctl
for entry in {sysctls}; do
    key=${{entry%=*}} value=${{entry#*=}}
    [ "$(cat /proc/sys/$key)" = "$value" ] && continue
    file=/run/kubetrace-lab/sysctl/$(echo "$key" | tr / .)
    echo "$value" > "$file"
    mount --bind -o ro "$file" "/proc/sys/$key"
done
"""

PREPARE_UNIT = """\
# Written by kubetrace's tests/lab/controlplane.py
[Unit]
Description=kubetrace lab: cgroup controllers read-write, kubelet sysctls, for containerd and the kubelet
DefaultDependencies=no
Before=sysinit.target containerd.service kubelet.service
ConditionVirtualization=systemd-nspawn

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/kubetrace-lab-prepare

[Install]
WantedBy=sysinit.target
"""

CONTAINERD_CONFIG = """\
# Written by kubetrace's tests/lab/controlplane.py: containerd 2.x's CRI as a kubelet in a lab node needs it.
version = 3

[plugins."io.containerd.cri.v1.images"]
  [plugins."io.containerd.cri.v1.images".pinned_images]
    sandbox = "{pause}"
  [plugins."io.containerd.cri.v1.images".registry]
    # hosts.toml files that send registry.k8s.io and docker.io to the lab's registry (registry_hosts()).
    config_path = "{certs_d}"

[plugins."io.containerd.cri.v1.runtime"]
  # The sandbox's oom_score_adj of -998 needs CAP_SYS_RESOURCE, which these machines do not have.
  restrict_oom_score_adj = true
  [plugins."io.containerd.cri.v1.runtime".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
        SystemdCgroup = false
        # nspawn's seccomp filter refuses new session keyrings ("unable to join session keyring").
        NoNewKeyring = true
  [plugins."io.containerd.cri.v1.runtime".cni]
    bin_dirs = ["{cni_bin}"]
    conf_dir = "/etc/cni/net.d"
"""

CERTS_D = "/etc/containerd/certs.d"
# The image hosts the lab mirrors: kubeadm's images and the seed's unqualified `httpd` (docker.io/library/httpd).
MIRRORED_HOSTS = ("registry.k8s.io", "docker.io")
HOSTS_TOML = """\
# Written by kubetrace's tests/lab: {host}'s images come from the lab's registry on its bridge. server names
# it too, so that containerd never falls back to {host} itself.
server = "http://{registry}"

[host."http://{registry}"]
  capabilities = ["pull", "resolve"]
"""
# For a containerd 1.x node without a kubelet (Debian's 1.7.24 and 1.6.20): the one table its config.toml
# needs so that `crictl pull` goes through the same mirrors; appended to Debian's file as it is.
CRI_V1_REGISTRY = """
# Added by kubetrace's tests/lab: the lab's registry mirrors registry.k8s.io and docker.io (hosts.toml files).
[plugins."io.containerd.grpc.v1.cri".registry]
  config_path = "{certs_d}"
""".format(certs_d=CERTS_D)


# As the Kubernetes packages (pkgs.k8s.io kubelet and kubeadm debs) install them.
KUBELET_UNIT = """\
[Unit]
Description=kubelet: The Kubernetes Node Agent
Documentation=https://kubernetes.io/docs/
Wants=network-online.target
After=network-online.target

[Service]
ExecStart=/usr/bin/kubelet
Restart=always
StartLimitInterval=0
RestartSec=10

[Install]
WantedBy=multi-user.target
"""

KUBEADM_DROPIN = """\
# Note: This dropin only works with kubeadm and kubelet v1.11+
[Service]
Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"
Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"
# This is a file that "kubeadm init" and "kubeadm join" generates at runtime, populating the KUBELET_KUBEADM_ARGS variable dynamically
EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
# This is a file that the user can use for overrides of the kubelet args as a last resort. Preferably, the user should use
# the .NodeRegistration.KubeletExtraArgs object in the configuration files instead. KUBELET_EXTRA_ARGS should be sourced from this file.
EnvironmentFile=-/etc/default/kubelet
ExecStart=
ExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS
"""

KUBEADM_CONFIG = """\
# Written by kubetrace's tests/lab/controlplane.py
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: {address}
  bindPort: 6443
nodeRegistration:
  name: {name}
  criSocket: unix:///run/containerd/containerd.sock
  kubeletExtraArgs:
  # The nodes have no default route, from which the kubelet would otherwise take its address.
  - name: node-ip
    value: {address}
patches:
  # What differs from node to node (the kubelet's cgroupRoot), outside the cluster-wide kubelet-config.
  directory: {patches}
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: {version}
clusterName: kubetrace-lab
controlPlaneEndpoint: {address}:6443
etcd:
  local:
    # Our etcd build, not the release kubeadm defaults to for this Kubernetes version.
    imageTag: {etcd_tag}
networking:
  serviceSubnet: 10.96.0.0/16
  # kube-controller-manager hands each node a /24 of it; the lab's CNI config uses the node's.
  podSubnet: {pod_subnet}
  dnsDomain: cluster.local
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# The host's cgroups are v1 (hybrid); kubelets from 1.35 on refuse them unless told otherwise.
failCgroupV1: false
failSwapOn: false
# cgroupfs with a root of the node's own (the patch in {patches}, see cgroup_root()); containerd matches it.
cgroupDriver: cgroupfs
"""

# kubeadm's patch of the node's KubeletConfiguration (init and join read the same folder).
KUBELET_PATCH = """\
# Written by kubetrace's tests/lab: this node's own cgroup root on the host's shared cgroup v1 hierarchies.
cgroupRoot: /{cgroup_root}
"""

LAB_ADMIN_SCRIPT = """\
set -e
cd /etc/kubernetes/pki
openssl req -new -newkey rsa:2048 -nodes -keyout lab-admin.key -out lab-admin.csr \\
    -subj "/O=system:masters/CN=kubetrace-lab-admin" 2>/dev/null
printf 'keyUsage=critical,digitalSignature,keyEncipherment\\nextendedKeyUsage=clientAuth\\n' > lab-admin.ext
openssl x509 -req -in lab-admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 365 \\
    -extfile lab-admin.ext -out lab-admin.crt 2>/dev/null
rm -f lab-admin.csr lab-admin.ext ca.srl
chmod 600 lab-admin.key
"""

# Polls on the node until every endpoint answers 200; prints {url: seconds} or exits 1 with the last errors.
WAIT_SCRIPT = """\
import json, ssl, sys, time, urllib.request
urls, timeout = json.loads(sys.argv[1]), float(sys.argv[2])
pki = "/etc/kubernetes/pki/"
tls = ssl.create_default_context(cafile=pki + "ca.crt")
tls.load_cert_chain(pki + "lab-admin.crt", pki + "lab-admin.key")
# kube-controller-manager and kube-scheduler serve /healthz on loopback with certificates they sign themselves.
loopback = ssl._create_unverified_context()
started, seen, errors = time.monotonic(), {}, {}
while len(seen) < len(urls) and time.monotonic() - started < timeout:
    for url in urls:
        if url in seen:
            continue
        try:
            context = (loopback if url.startswith("https://127.0.0.1") else tls) if url.startswith("https") else None
            with urllib.request.urlopen(url, timeout=3, context=context) as answer:
                if answer.status == 200:
                    seen[url] = round(time.monotonic() - started, 1)
        except Exception as error:
            errors[url] = str(error)
    time.sleep(0.5)
print(json.dumps({"seen": seen, "errors": {u: e for u, e in errors.items() if u not in seen}}))
sys.exit(0 if len(seen) == len(urls) else 1)
"""


def put(lab_dir, name, path, text, mode=0o644):
    """Write a file on a node over ssh (its folder created), atomically."""
    folder = str(Path(path).parent)
    command = (f"mkdir -p {shlex.quote(folder)} && cat > {shlex.quote(path)}.tmp"
               f" && chmod {mode:o} {shlex.quote(path)}.tmp && mv {shlex.quote(path)}.tmp {shlex.quote(path)}")
    result = subprocess.run(lab.ssh_command(lab_dir, name, command), input=text, text=True,
                            capture_output=True, check=False, timeout=60)
    if result.returncode != 0:
        raise lab.LabError(f"{name}: cannot write {path}: {result.stderr.strip()}")


def sh(lab_dir, name, script, timeout=300):
    """Run a shell script on a node; LabError with its output when it fails; return its stdout."""
    result = subprocess.run(lab.ssh_command(lab_dir, name, "sh", "-c", shlex.quote(script)), text=True,
                            capture_output=True, check=False, timeout=timeout, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        raise lab.LabError(f"{name}: `{script.strip().splitlines()[0]} ...` exited {result.returncode}:\n"
                           f"{(result.stdout + result.stderr).strip()[-3000:]}")
    return result.stdout


def node_address(lab_dir, name):
    """The node's address from the lab's state."""
    state = lab.load_state(lab_dir) or {}
    try:
        return state["nodes"][name]["address"]
    except KeyError:
        raise lab.LabError(f"no node {name} in the lab at {lab_dir}") from None


# ------------------------------------------------------------------------------------------ provision

def prepare(lab_dir, name):
    """The oneshot unit that makes the node fit for a kubelet (cgroups read-write, sysctl values), run now."""
    sysctls = " ".join(f"{key}={value}" for key, value in KUBELET_SYSCTLS.items())
    put(lab_dir, name, "/usr/local/sbin/kubetrace-lab-prepare",
        PREPARE_SCRIPT.format(cgroup_root=cgroup_root(lab_dir, name), sysctls=sysctls), 0o755)
    put(lab_dir, name, "/etc/systemd/system/kubetrace-lab-prepare.service", PREPARE_UNIT)
    sh(lab_dir, name, "systemctl daemon-reload && systemctl enable --now kubetrace-lab-prepare.service")


def registry_hosts(lab_dir, name, registry):
    """hosts.toml files on the node that send every pull of registry.k8s.io and docker.io images to the
    lab's registry (host:port on the lab's bridge); read by containerd 1.x and 2.x alike (config_path)."""
    for host in MIRRORED_HOSTS:
        put(lab_dir, name, f"{CERTS_D}/{host}/hosts.toml", HOSTS_TOML.format(host=host, registry=registry))


def setup_containerd(lab_dir, name, pause, registry):
    """A fresh /etc/containerd/config.toml for containerd 2.x's CRI, the registry mirrors, containerd
    restarted. No image is imported: the kubelet and containerd pull them from the lab's registry."""
    registry_hosts(lab_dir, name, registry)
    put(lab_dir, name, "/etc/containerd/config.toml",
        CONTAINERD_CONFIG.format(pause=pause, certs_d=CERTS_D, cni_bin=CNI_BIN))
    sh(lab_dir, name, "systemctl restart containerd && ctr version >/dev/null")


def mirror_only(lab_dir, name, registry):
    """A containerd 1.x node without a kubelet: Debian's config.toml as it is plus the registry table
    (CRI_V1_REGISTRY), the mirrors, containerd restarted, so `crictl pull httpd` works there too."""
    registry_hosts(lab_dir, name, registry)
    sh(lab_dir, name, "grep -q '^# Added by kubetrace' /etc/containerd/config.toml"
                      f" || printf '%s' {shlex.quote(CRI_V1_REGISTRY)} >> /etc/containerd/config.toml;"
                      " systemctl restart containerd && ctr version >/dev/null")


def kubeadm_config(lab_dir, name, k8s_version, etcd_version):
    """The kubeadm config file's text for this node."""
    return KUBEADM_CONFIG.format(address=node_address(lab_dir, name), name=name, version=k8s_version,
                                 etcd_tag=etcd_image(etcd_version).rpartition(":")[2],
                                 patches=PATCHES, pod_subnet=POD_SUBNET)


def install_kubelet(lab_dir, name):
    """The kubelet unit and kubeadm's drop-in as the packages install them, and kubeadm's patch with the
    node's own cgroupRoot; `kubeadm init` or `kubeadm join` then writes the rest and starts it."""
    put(lab_dir, name, "/usr/lib/systemd/system/kubelet.service", KUBELET_UNIT)
    put(lab_dir, name, "/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf", KUBEADM_DROPIN)
    put(lab_dir, name, f"{PATCHES}/kubeletconfiguration+merge.yaml",
        KUBELET_PATCH.format(cgroup_root=cgroup_root(lab_dir, name)))
    sh(lab_dir, name, "systemctl daemon-reload && systemctl enable kubelet.service 2>/dev/null")


def kubeadm_init(lab_dir, name, config_text):
    """kubeadm's init phases up to kubelet-start: certificates, kubeconfigs, the etcd, kube-apiserver,
    kube-controller-manager and kube-scheduler manifests, the kubelet's config, the kubelet started."""
    install_kubelet(lab_dir, name)
    put(lab_dir, name, "/etc/kubernetes/kubeadm-config.yaml", config_text, 0o600)
    config = "--config /etc/kubernetes/kubeadm-config.yaml"
    return sh(lab_dir, name, f"""
kubeadm init phase certs all {config}
kubeadm init phase kubeconfig all {config}
kubeadm init phase etcd local {config}
kubeadm init phase control-plane all {config}
kubeadm init phase kubelet-start {config}
systemctl restart kubelet.service
""".replace("\n", " && ").strip(" &"))


SYSTEMD_UNIT = """\
[Unit]
Description={program} (kubetrace lab: kubeadm's static pod command line, run as a systemd unit)
After=network-online.target

[Service]
ExecStart={command}
Restart=always
RestartSec=2
LimitNOFILE=1048576

[Install]
WantedBy=multi-user.target
"""
UNIT_PROGRAMS = {"etcd": f"{NODE_ROOT}/etcd/bin/etcd", "kube-apiserver": f"{NODE_ROOT}/kubernetes/bin/kube-apiserver"}


def manifest_command(text):
    """The words of the `command:` list of a kubeadm static pod manifest (one container), from its text."""
    words, inside = [], False
    for line in text.splitlines():
        if line.strip() in ("command:", "- command:"):
            inside = True
            continue
        if inside:
            match = re.match(r"^\s*- (.*)$", line)
            if not match:
                break
            words.append(match.group(1))
    if not words:
        raise lab.LabError("no command list in the manifest")
    return words


def as_units(lab_dir, name):
    """The systemd-unit layout: etcd and kube-apiserver run by systemd with the command lines kubeadm wrote
    into their manifests (same certificates, same data folder), the manifests moved out of the kubelet's
    folder into /etc/kubernetes/lab-manifests-as-units/."""
    for program, binary in UNIT_PROGRAMS.items():
        words = manifest_command(sh(lab_dir, name, f"cat /etc/kubernetes/manifests/{program}.yaml"))
        put(lab_dir, name, f"/etc/systemd/system/{program}.service",
            SYSTEMD_UNIT.format(program=program, command=" \\\n  ".join([binary] + words[1:])))
    sh(lab_dir, name, "mkdir -p /etc/kubernetes/lab-manifests-as-units"
                      " && mv /etc/kubernetes/manifests/etcd.yaml /etc/kubernetes/manifests/kube-apiserver.yaml"
                      " /etc/kubernetes/lab-manifests-as-units/"
                      " && systemctl daemon-reload && systemctl enable --now etcd.service kube-apiserver.service")


# The controller-manager's and the scheduler's secure ports, as kubeadm's liveness probes ask them.
CONTROLLER_HEALTH = ("https://127.0.0.1:10257/healthz", "https://127.0.0.1:10259/healthz")


def wait_healthy(lab_dir, name, timeout=180):
    """Wait on the node until /readyz, etcd's /health, the kubelet's /healthz and the controller-manager's
    and scheduler's /healthz answer 200; return {url: seconds}. On a timeout the error carries the
    kubelet's and containerd's last lines, among them any image the kubelet could not pull."""
    urls = [f"https://{node_address(lab_dir, name)}:6443/readyz", "http://127.0.0.1:2381/health",
            "http://127.0.0.1:10248/healthz", *CONTROLLER_HEALTH]
    result = subprocess.run(lab.ssh_command(lab_dir, name, "python3", "-c", shlex.quote(WAIT_SCRIPT),
                                            shlex.quote(json.dumps(urls)), str(timeout)),
                            text=True, capture_output=True, check=False, timeout=timeout + 60,
                            stdin=subprocess.DEVNULL)
    try:
        report = json.loads(result.stdout)
    except ValueError:
        report = {"seen": {}, "errors": {"wait": (result.stdout + result.stderr).strip()}}
    if result.returncode != 0:
        logs = sh(lab_dir, name, "journalctl -u kubelet -u containerd --no-pager | tail -40;"
                  " echo; echo 'image pulls that failed:';"
                  " journalctl -u kubelet --no-pager | grep -o 'Failed to pull image.*' | sort -u | tail -5;"
                  " crictl ps -a 2>/dev/null; ctr -n k8s.io images ls -q", timeout=60)
        raise lab.LabError(f"{name}: not healthy within {timeout} s: {report['errors']}\n{logs}")
    return report["seen"]


def upload_config(lab_dir, name):
    """What kubeadm init's later phases make in the cluster: ConfigMaps kubeadm-config and kubelet-config
    in kube-system (upload-config), the bootstrap RBAC and cluster-info (bootstrap-token), node labels and
    taint (mark-control-plane). Returns kubeadm's output."""
    config = "--config /etc/kubernetes/kubeadm-config.yaml"
    return sh(lab_dir, name, f"kubeadm init phase upload-config all {config}"
                             f" && kubeadm init phase mark-control-plane {config}"
                             f" && kubeadm init phase bootstrap-token {config} --skip-token-print")


def fetch_client_files(lab_dir, name):
    """Copy ca.crt and the lab-admin certificate and key to lab_dir/<node>-pki/ for callers on the host."""
    folder = Path(lab_dir) / f"{name}-pki"
    folder.mkdir(mode=0o700, exist_ok=True)
    for file in ("ca.crt", "lab-admin.crt", "lab-admin.key"):
        text = sh(lab_dir, name, f"cat /etc/kubernetes/pki/{file}")
        lab.write_atomic(folder / file, text, 0o600 if file.endswith(".key") else 0o644)
    return folder


def provision(lab_dir, name, registry, k8s_version=K8S_VERSION, etcd_version=ETCD_VERSION, timeout=180,
              layout="static_pod"):
    """Make a booted node (from node()) a kubeadm control plane whose images come from the lab's registry
    (host:port, serving images()); return timings in seconds. With layout "systemd", etcd and
    kube-apiserver then run as systemd units instead (as_units); the controller-manager and the scheduler
    stay static pods.

    Leaves: /etc/kubernetes/{manifests/{etcd,kube-apiserver,kube-controller-manager,kube-scheduler}.yaml,
    pki/, *.conf, kubeadm-config.yaml}, /var/lib/kubelet/{config.yaml, kubeadm-flags.env}, the kubelet unit
    with kubeadm's drop-in, and /etc/kubernetes/pki/lab-admin.{crt,key} (O=system:masters), copied to
    lab_dir/<node>-pki/ too. The node stays NotReady until it has a CNI config (cluster.network()).
    """
    lab_dir = Path(lab_dir).resolve()
    steps, started = {}, time.monotonic()

    def step(label, function, *args):
        begun = time.monotonic()
        log(f"{name}: {label}")
        value = function(*args)
        steps[label] = round(time.monotonic() - begun, 1)
        return value

    pause = image_refs(k8s_version, etcd_version)["pause"]
    step("prepare", prepare, lab_dir, name)
    step("containerd", setup_containerd, lab_dir, name, pause, registry)
    step("kubeadm", kubeadm_init, lab_dir, name, kubeadm_config(lab_dir, name, k8s_version, etcd_version))
    step("lab-admin", sh, lab_dir, name, LAB_ADMIN_SCRIPT)
    if layout == "systemd":
        step("units", as_units, lab_dir, name)
    seen = step("healthy", wait_healthy, lab_dir, name, timeout)
    step("upload-config", upload_config, lab_dir, name)
    step("client-files", fetch_client_files, lab_dir, name)
    steps["total"] = round(time.monotonic() - started, 1)
    steps["endpoints"] = seen
    return steps


# ------------------------------------------------------------------------------------------ up/down

def host_cgroup_leftovers(lab_dir):
    """The host's cgroup v1 folders the lab's kubelets made (named by cgroup_root()), deepest first."""
    prefix = f"kubetrace-{lab.lab_id(lab_dir)}-"
    found = []
    for hierarchy in Path("/sys/fs/cgroup").iterdir():
        if hierarchy.name in ("unified", "systemd") or not (hierarchy / "cgroup.procs").exists():
            continue
        for current, dirs, _files in os.walk(hierarchy):
            depth = len(Path(current).relative_to(hierarchy).parts)
            matched = [d for d in dirs if d.startswith(prefix)]
            for folder in matched:
                found += [Path(c) for c, _d, _f in os.walk(Path(current) / folder)]
            dirs[:] = [d for d in dirs if d not in matched] if depth < 3 else []
    return sorted(found, key=lambda p: len(p.parts), reverse=True)


def stop_pods(lab_dir):
    """Stop the kubelet and the containers on every node first, so that nspawn's power-off is quick."""
    state = lab.load_state(lab_dir) or {}
    for name, info in state.get("nodes", {}).items():
        if lab.alive(info.get("pid")):
            try:
                # A container's main process that is PID 1 of its namespace ignores SIGTERM (busybox httpd
                # does), and would hold the node's power-off until the lab's SIGKILL: kill every task first.
                subprocess.run(lab.ssh_command(lab_dir, name, "systemctl stop kubelet 2>/dev/null;"
                                               " for task in $(ctr -n k8s.io tasks ls -q 2>/dev/null); do"
                                               " ctr -n k8s.io tasks kill -s SIGKILL $task; done;"
                                               " systemctl stop containerd kube-apiserver etcd 2>/dev/null; true"),
                               capture_output=True, check=False, timeout=60, stdin=subprocess.DEVNULL)
            except subprocess.TimeoutExpired:
                log(f"{name}: stopping the kubelet and the containers took over 60 s; powering off anyway")


def down(lab_dir):
    """Take the lab down, then remove the cgroup v1 folders its kubelets left on the host."""
    lab_dir = Path(lab_dir).resolve()
    registry.stop(lab_dir)
    stop_pods(lab_dir)
    lab.down(lab_dir)
    for folder in host_cgroup_leftovers(lab_dir):
        for pid in lab.cgroup_pids(folder):
            if lab.alive(pid):
                raise lab.LabError(f"{folder} still holds process {pid}")
        try:
            folder.rmdir()
        except FileNotFoundError:
            pass
    left = host_cgroup_leftovers(lab_dir)
    if left:
        raise lab.LabError(f"cgroup folders left behind: {', '.join(map(str, left))}")


def up(lab_dir, k8s_version=K8S_VERSION, etcd_version=ETCD_VERSION, name="cp1"):
    """A one-node lab with a control-plane node and the lab's registry, provisioned; returns {timings}.
    On failure the lab is left up for inspection (run down)."""
    started = time.monotonic()
    description = node(name, k8s_version, etcd_version)
    prepared = time.monotonic()
    state = lab.up(lab_dir, [description])
    booted = time.monotonic()
    endpoint = registry.start(lab_dir, state["bridge"]["address"].split("/")[0])
    for tar in images(k8s_version, etcd_version):
        registry.push(endpoint, tar)
    steps = provision(lab_dir, name, endpoint, k8s_version, etcd_version)
    return {"programs_and_images": round(prepared - started, 1), "boot": round(booted - prepared, 1),
            "provision": steps, "address": state["nodes"][name]["address"],
            "total": round(time.monotonic() - started, 1)}


def main(argv=None):
    """Command line: images, up, down."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("images", help="build (or reuse) the image tars; prints their paths")
    p.add_argument("--version", default=K8S_VERSION)
    p.add_argument("--etcd", default=ETCD_VERSION)
    p = sub.add_parser("up", help="boot a one-node lab and make the node a kubeadm control plane")
    p.add_argument("lab_dir")
    p.add_argument("--version", default=K8S_VERSION)
    p.add_argument("--etcd", default=ETCD_VERSION)
    p.add_argument("--name", default="cp1")
    p = sub.add_parser("down", help="take the lab down and remove what its kubelet left on the host")
    p.add_argument("lab_dir")
    args = parser.parse_args(argv)
    try:
        if args.command == "images":
            print("\n".join(map(str, images(args.version, args.etcd))))
        elif args.command == "up":
            print(json.dumps(up(args.lab_dir, args.version, args.etcd, args.name), indent=2))
        else:
            down(args.lab_dir)
    except lab.LabError as error:
        print(f"controlplane: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
