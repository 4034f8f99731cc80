"""The lab as a Kubernetes cluster: workers joined the way kubeadm joins them, pod networking with the CNI
reference plugins, the `httpd` image, and the real kubectl with the lab's kubeconfig.

httpd_image()                the image behind the seed's unqualified `httpd` (docker.io/library/httpd:latest):
                             Debian's static busybox serving /var/www with `busybox httpd` on port 80.
write_kubeconfig(lab_dir, cp)
                             lab_dir/<cp>.kubeconfig (and lab_dir/kubeconfig for the first control plane):
                             cp's address, the lab's system:masters client certificate; lab_dir/bin/kubectl.
kubectl(lab_dir, *args)      the real kubectl of the lab's release, with that kubeconfig.
join(lab_dir, worker, cp, registry, k8s_version)
                             `kubeadm join` with a bootstrap token from cp (TLS bootstrap: the kubelet's CSR is
                             approved and signed by kube-controller-manager), after the same node preparation
                             the control plane gets (controlplane.prepare, containerd, the kubelet unit).
network(lab_dir, cp, names)  each node's CNI config from its podCIDR (bridge, host-local, portmap; containerd
                             runs loopback itself), forwarding on, and routes between the nodes' pod ranges on
                             the lab's bridge, so that every node reaches every pod.
wait_ready(lab_dir, cp, names)
                             until `kubectl get nodes` shows each Ready; the error names each node that is not,
                             with its Ready condition's reason.

Python 3.11 standard library only; runs as root (routes and sysctls in the lab's own network namespaces).
"""

import json
import re
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import controlplane  # noqa: E402  pylint: disable=wrong-import-position
import kubernetes  # noqa: E402  pylint: disable=wrong-import-position
import lab  # noqa: E402  pylint: disable=wrong-import-position
import programs  # noqa: E402  pylint: disable=wrong-import-position

HTTPD_REFERENCE = "docker.io/library/httpd:latest"
HTTPD_PAGE = "<html><body><h1>kubetrace lab</h1><p>Served by busybox httpd from the lab's httpd image.</p></body></html>\n"
HTTPD_COMMAND = ["/bin/busybox", "httpd", "-f", "-v", "-p", "80", "-h", "/var/www"]
CNI_CONFIG = "/etc/cni/net.d/10-kubetrace-lab.conflist"
JOIN_CONFIG = "/etc/kubernetes/kubeadm-join.yaml"
# kubeadm join's one preflight check the lab must skip: on cgroup v1 (this host is hybrid) kubeadm 1.35+
# fails SystemVerification and says to skip it once the kubelet has failCgroupV1: false, as kubelet-config has.
JOIN_PREFLIGHT_IGNORED = ("SystemVerification",)
JOIN_TEMPLATE = """\
# Written by kubetrace's tests/lab/cluster.py
apiVersion: kubeadm.k8s.io/v1beta4
kind: JoinConfiguration
discovery:
  bootstrapToken:
    apiServerEndpoint: {endpoint}
    token: {token}
    caCertHashes:
    - {ca_hash}
nodeRegistration:
  name: {name}
  criSocket: unix:///run/containerd/containerd.sock
  kubeletExtraArgs:
  # The nodes have no default route, from which the kubelet would otherwise take its address.
  - name: node-ip
    value: {address}
patches:
  directory: {patches}
timeouts:
  # A join that cannot work fails in a minute or two rather than kubeadm's five.
  discovery: 60s
  tlsBootstrap: 120s
"""


def log(message):
    """Progress on stderr."""
    print(f"cluster: {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------- images

def httpd_image():
    """The OCI layout tar (cached) of docker.io/library/httpd:latest: busybox (Debian's busybox-static)
    whose default command serves /var/www over HTTP on port 80."""
    page = controlplane.images_dir() / "httpd-index.html"
    if not page.exists() or page.read_text() != HTTPD_PAGE:
        lab.write_atomic(page, HTTPD_PAGE)
    return controlplane.cached_image(HTTPD_REFERENCE, {"/bin/busybox": programs.busybox() / "busybox",
                                                       "/var/www/index.html": page}, entrypoint=HTTPD_COMMAND)


def images(k8s_version=controlplane.K8S_VERSION, etcd_version=controlplane.ETCD_VERSION):
    """Every image tar the lab's registry serves for a release: the control plane's, pause and httpd."""
    return controlplane.images(k8s_version, etcd_version) + [httpd_image()]


# ------------------------------------------------------------------------------------------ kubectl

def kubeconfig_path(lab_dir, cp):
    return Path(lab_dir) / f"{cp}.kubeconfig"


def write_kubeconfig(lab_dir, cp, k8s_version, first=False):
    """lab_dir/<cp>.kubeconfig for the host's kubectl: cp's kube-apiserver, the lab's system:masters
    certificate (lab_dir/<cp>-pki/). The first control plane's is also lab_dir/kubeconfig, and
    lab_dir/bin/kubectl links to the release's kubectl."""
    lab_dir = Path(lab_dir)
    pki = lab_dir / f"{cp}-pki"
    q = json.dumps              # JSON strings are YAML scalars
    text = "\n".join([
        "# Written by kubetrace's tests/lab/cluster.py: the lab's cluster, as its system:masters admin.",
        "apiVersion: v1", "kind: Config",
        "clusters:", f"- name: {cp}", "  cluster:",
        f"    server: {q('https://%s:6443' % controlplane.node_address(lab_dir, cp))}",
        f"    certificate-authority: {q(str(pki / 'ca.crt'))}",
        "users:", "- name: kubetrace-lab-admin", "  user:",
        f"    client-certificate: {q(str(pki / 'lab-admin.crt'))}",
        f"    client-key: {q(str(pki / 'lab-admin.key'))}",
        "contexts:", f"- name: {cp}", "  context:", f"    cluster: {cp}", "    user: kubetrace-lab-admin",
        f"current-context: {cp}", ""])
    lab.write_atomic(kubeconfig_path(lab_dir, cp), text, 0o600)
    if first:
        lab.write_atomic(lab_dir / "kubeconfig", text, 0o600)
        (lab_dir / "bin").mkdir(exist_ok=True)
        link = lab_dir / "bin" / "kubectl"
        link.unlink(missing_ok=True)
        link.symlink_to(kubernetes.kubernetes(k8s_version) / "kubectl")


def kubectl(lab_dir, *args, cp=None, check=True, timeout=60):
    """Run the lab's kubectl (lab_dir/bin/kubectl) with cp's kubeconfig (default lab_dir/kubeconfig)."""
    config = kubeconfig_path(lab_dir, cp) if cp else Path(lab_dir) / "kubeconfig"
    command = [str(Path(lab_dir) / "bin" / "kubectl"), "--kubeconfig", str(config), *args]
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=timeout,
                            stdin=subprocess.DEVNULL)
    if check and result.returncode != 0:
        raise lab.LabError(f"kubectl {' '.join(args)} exited {result.returncode}: {result.stderr.strip()}")
    return result


def kubectl_json(lab_dir, *args, cp=None):
    return json.loads(kubectl(lab_dir, *args, "-o", "json", cp=cp).stdout)


# --------------------------------------------------------------------------------------------- join

def join_command(lab_dir, cp):
    """(endpoint, token, CA hash) of a new bootstrap token made on cp by `kubeadm token create`."""
    printed = controlplane.sh(lab_dir, cp, "kubeadm token create --ttl 2h --print-join-command"
                                           " --description 'kubetrace lab: workers join with it'")
    match = re.search(r"kubeadm join (\S+) --token (\S+)\s+--discovery-token-ca-cert-hash (\S+)", printed)
    if not match:
        raise lab.LabError(f"{cp}: kubeadm token create --print-join-command printed no join command: {printed}")
    return match.groups()


def join(lab_dir, worker, cp, registry, k8s_version=controlplane.K8S_VERSION, token=None, timeout=300):
    """Make a booted node (controlplane.kubelet_node()) a worker of cp's cluster with `kubeadm join`.

    token: a bootstrap token to use instead of a new one (a test gives a wrong one); LabError names the
    worker and what kubeadm said when the join fails."""
    lab_dir = Path(lab_dir).resolve()
    started = time.monotonic()
    endpoint, new_token, ca_hash = join_command(lab_dir, cp)
    pause = controlplane.image_refs(k8s_version)["pause"]
    controlplane.prepare(lab_dir, worker)
    controlplane.setup_containerd(lab_dir, worker, pause, registry)
    controlplane.install_kubelet(lab_dir, worker)
    controlplane.put(lab_dir, worker, JOIN_CONFIG, JOIN_TEMPLATE.format(
        endpoint=endpoint, token=token or new_token, ca_hash=ca_hash, name=worker,
        address=controlplane.node_address(lab_dir, worker), patches=controlplane.PATCHES), 0o600)
    forwarding(lab_dir, worker)     # kubeadm's preflight wants it, as pods routed through the node do
    result = subprocess.run(lab.ssh_command(lab_dir, worker, "kubeadm", "join", "--config", JOIN_CONFIG, "-v=1",
                                            "--ignore-preflight-errors=" + ",".join(JOIN_PREFLIGHT_IGNORED)),
                            capture_output=True, text=True, check=False, timeout=timeout, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        said = (result.stdout + result.stderr).strip().splitlines()
        causes = ([line.strip() for line in said if "[ERROR" in line]
                  or [line.strip() for line in said if re.match(r"\s*error", line)]
                  or [line.strip() for line in said if re.search(r"failed|unable|couldn't|timed out", line, re.I)])
        kubelet = lab.ssh(lab_dir, worker, "journalctl -u kubelet --no-pager | tail -8", check=False).stdout
        raise lab.LabError(f"{worker}: kubeadm join {endpoint} failed: {(causes or said or ['no output'])[0]}\n"
                           + "\n".join(said[-15:]) + f"\n{worker}'s kubelet said:\n{kubelet.strip()}")
    log(f"{worker}: joined {cp}'s cluster in {time.monotonic() - started:.0f} s")
    return round(time.monotonic() - started, 1)


# ------------------------------------------------------------------------------------------ network

def pod_cidr(lab_dir, cp, name, timeout=60):
    """The podCIDR kube-controller-manager gave node `name` (it does so once the node registers)."""
    deadline = time.monotonic() + timeout
    while True:
        answer = kubectl(lab_dir, "get", "node", name, "-o", "jsonpath={.spec.podCIDR}", cp=cp, check=False)
        if answer.returncode == 0 and answer.stdout.strip():
            return answer.stdout.strip()
        if time.monotonic() > deadline:
            raise lab.LabError(f"{name}: no podCIDR within {timeout} s (is kube-controller-manager running on {cp},"
                               f" with --allocate-node-cidrs?): {answer.stderr.strip() or 'empty'}")
        time.sleep(1)


def cni_config(cidr):
    """The node's CNI network: a bridge cni0 whose gateway is the first address of cidr, host-local
    addresses from it, host ports by portmap. No masquerade: nothing leaves the lab."""
    return json.dumps({
        "cniVersion": "1.0.0", "name": "kubetrace-lab",
        "plugins": [
            {"type": "bridge", "bridge": "cni0", "isGateway": True, "ipMasq": False, "hairpinMode": True,
             "ipam": {"type": "host-local", "ranges": [[{"subnet": cidr}]], "routes": [{"dst": "0.0.0.0/0"}]}},
            {"type": "portmap", "capabilities": {"portMappings": True}},
        ]}, indent=2) + "\n"


def in_netns(netns, script):
    """Run a shell script on the host inside one of the lab's network namespaces."""
    lab.run(["ip", "netns", "exec", netns, "sh", "-c", script], capture=True)


def forwarding(lab_dir, name):
    """IPv4 forwarding on in the node's network namespace. /proc/sys is read-only inside the node, so it is
    set from the host, on the namespace the lab made for the node (the bridge plugin, kubeadm's preflight and
    pods reached through the node need it)."""
    in_netns(lab.load_state(lab_dir)["nodes"][name]["netns"], "echo 1 > /proc/sys/net/ipv4/ip_forward")


def network(lab_dir, cp, names):
    """Pod networking for the named nodes of cp's cluster; returns {node: podCIDR}."""
    state = lab.load_state(lab_dir)
    cidrs = {name: pod_cidr(lab_dir, cp, name) for name in names}
    for name, cidr in cidrs.items():
        netns = state["nodes"][name]["netns"]
        forwarding(lab_dir, name)   # else the bridge plugin would try, and fail on the read-only /proc/sys
        for other, other_cidr in cidrs.items():
            if other != name:
                lab.ip("-n", netns, "route", "replace", other_cidr, "via", state["nodes"][other]["address"])
        controlplane.put(lab_dir, name, CNI_CONFIG, cni_config(cidr))
    return cidrs


def untaint(lab_dir, cp):
    """Let pods run on a control-plane node that has no worker, as a single-node kubeadm cluster does."""
    kubectl(lab_dir, "taint", "nodes", cp, "node-role.kubernetes.io/control-plane:NoSchedule-", cp=cp)


def wait_ready(lab_dir, cp, names, timeout=120):
    """Wait until every named node is Ready in cp's cluster; return {node: seconds}."""
    started, seen, last = time.monotonic(), {}, {}
    while True:
        for item in kubectl_json(lab_dir, "get", "nodes", cp=cp).get("items", []):
            name = item["metadata"]["name"]
            ready = next((c for c in item["status"].get("conditions", []) if c["type"] == "Ready"), {})
            last[name] = ready
            if ready.get("status") == "True" and name not in seen:
                seen[name] = round(time.monotonic() - started, 1)
        if all(name in seen for name in names):
            return seen
        if time.monotonic() - started > timeout:
            waiting = [f"{name}: {last.get(name, {}).get('reason', 'not registered')}:"
                       f" {last.get(name, {}).get('message', 'no Node object')}" for name in names if name not in seen]
            raise lab.LabError(f"not Ready within {timeout} s: " + "; ".join(waiting))
        time.sleep(1)


def node_files(lab_dir, name, paths):
    """Copy files from a node into lab_dir/originals/<name>/<path> (byte for byte, for later comparison)."""
    for path in paths:
        target = Path(lab_dir) / "originals" / name / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        data = subprocess.run(lab.ssh_command(lab_dir, name, "cat", shlex.quote(path)), capture_output=True,
                              check=True, timeout=60, stdin=subprocess.DEVNULL).stdout
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as handle:
            handle.write(data)
        Path(handle.name).replace(target)
