"""What a dry run must not change on a lab node: the bytes of every file the roles touch, and which process of
each component runs (its pid and start time), so `--check` can be shown to change nothing.

    python3 tests/lab/snapshot.py LAB_DIR [NODE ...]                   # prints {node: {what: fingerprint}} as JSON
    python3 tests/lab/snapshot.py --save FILE LAB_DIR [NODE ...]       # writes it to FILE

A control-plane node's fingerprint also holds the ConfigMaps kubeadm upgrade and join read (kubeadm-config,
kubelet-config), as `configmap NAME KEY`.

Runs as root, Python 3.11 standard library only.
"""

import json
import shlex
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import lab  # noqa: E402  pylint: disable=wrong-import-position

# Read on the node: sha256 of each file under the globs, and pid:starttime of each component's processes.
ON_NODE = r"""
import glob, hashlib, json, os
found = {}
for pattern in ("/etc/kubernetes/manifests/*", "/etc/kubernetes/tracing/*", "/var/lib/kubelet/config.yaml",
                "/etc/kubernetes/kubelet.conf.d/*", "/etc/containerd/config.toml", "/etc/systemd/system/*.service",
                "/etc/systemd/system/*.service.d/*", "/var/lib/kubetrace/state/*", "/etc/jaeger/*"):
    for path in sorted(glob.glob(pattern)):
        if os.path.isfile(path):
            with open(path, "rb") as handle:
                found["file " + path] = hashlib.sha256(handle.read()).hexdigest()
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        comm = open("/proc/%s/comm" % pid).read().strip()
        start = open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()[19]
    except OSError:
        continue
    if comm in ("etcd", "kube-apiserver", "kubelet", "containerd", "jaeger", "kube-controller", "kube-scheduler"):
        found.setdefault("process " + comm, []).append("%s:%s" % (pid, start))
print(json.dumps({key: sorted(value) if isinstance(value, list) else value for key, value in found.items()}))
"""


def snapshot(lab_dir, names=None):
    """{node: {"file PATH": sha256, "process NAME": ["pid:starttime", ...], "configmap NAME KEY": sha256}} for the
    lab's nodes (or those named)."""
    import scenario  # pylint: disable=import-outside-toplevel  # the lab's ConfigMap reader
    state = lab.load_state(str(lab_dir)) or {}
    result = {}
    for name in names or sorted(state.get("nodes", {})):
        answer = lab.ssh(str(lab_dir), name, "python3", "-c", shlex.quote(ON_NODE))
        result[name] = json.loads(answer.stdout)
        if "kube_control_plane" in state["nodes"][name].get("groups", []):
            result[name].update(scenario.configmap_sums(lab_dir, name))
    return result


def settings_changed(before, after):
    """Like changes(), for files and ConfigMaps only (a component restarted in between has a new process)."""
    keep = ("file ", "configmap ")
    return changes({node: {k: v for k, v in found.items() if k.startswith(keep)} for node, found in before.items()},
                   {node: {k: v for k, v in found.items() if k.startswith(keep)} for node, found in after.items()})


def changes(before, after):
    """['node: what'] for every fingerprint that differs between two snapshots."""
    differ = []
    for name in sorted(set(before) | set(after)):
        one, other = before.get(name, {}), after.get(name, {})
        differ += ["%s: %s" % (name, key) for key in sorted(set(one) | set(other)) if one.get(key) != other.get(key)]
    return differ


def main(argv):
    save = None
    if argv[:1] == ["--save"]:
        save, argv = argv[1], argv[2:]
    text = json.dumps(snapshot(argv[0], argv[1:] or None), indent=2, sort_keys=True) + "\n"
    if save:
        Path(save).write_text(text)
    else:
        print(text, end="")


if __name__ == "__main__":
    main(sys.argv[1:])
