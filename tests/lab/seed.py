"""The seed's question, asked of the lab's cluster exactly as a user asks it:

    kubectl create deployment demo --image=httpd --port=80

run by the real kubectl with the lab's kubeconfig (lab_dir/bin/kubectl, lab_dir/kubeconfig). Then it waits
until the pod is Ready, shows `kubectl get deploy,rs,pod -o wide`, and fetches the page from the pod's
address from another node of the cluster (through the pod network's routes). It stops with a message that
names the pod, its node and the cause when the pod cannot be scheduled, its image cannot be pulled (the
registry down, an image it does not have) or its container does not start.

    python3 tests/lab/seed.py LAB_DIR [--name demo] [--image httpd] [--timeout 180]

Writes lab_dir/seed-<name>.json: the pod's name, uid, node and address, the image, when the command ran,
seconds to Ready, and the page's status. An existing deployment of that name is deleted first, so that
the question can be asked again. Python 3.11 standard library only.
"""

import argparse
import datetime
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import lab  # noqa: E402  pylint: disable=wrong-import-position

# Waiting reasons of a container that will not start without someone's help.
STUCK = {"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull", "CreateContainerConfigError",
         "CreateContainerError", "CrashLoopBackOff", "RunContainerError"}
PULL_FAILURES = {"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull"}
FETCH = """
import sys, urllib.request
with urllib.request.urlopen("http://%s:80/" % sys.argv[1], timeout=10) as answer:
    print(answer.status)
    print(answer.read().decode(errors="replace"))
"""


class SeedError(Exception):
    """The seed's deployment did not come to a serving pod; the message names the pod, node and cause."""


def log(message):
    print(f"seed: {message}", file=sys.stderr, flush=True)


class Kubectl:
    """The lab's kubectl: PATH starts with lab_dir/bin, KUBECONFIG is lab_dir/kubeconfig."""

    def __init__(self, lab_dir):
        self.lab_dir = Path(lab_dir).resolve()
        if not (self.lab_dir / "bin" / "kubectl").exists() or not (self.lab_dir / "kubeconfig").exists():
            raise SeedError(f"{self.lab_dir}: no bin/kubectl or kubeconfig; boot the lab first"
                            " (tests/lab/scenario.py up LAB_DIR)")
        self.env = dict(os.environ, KUBECONFIG=str(self.lab_dir / "kubeconfig"),
                        PATH=f"{self.lab_dir / 'bin'}:{os.environ.get('PATH', '')}")

    def run(self, *args, check=True, show=False):
        if show:
            print("$ " + shlex.join(["kubectl", *args]), flush=True)
        result = subprocess.run(["kubectl", *args], env=self.env, capture_output=True, text=True, check=False,
                                timeout=60, stdin=subprocess.DEVNULL)
        if show:
            print(result.stdout, end="", flush=True)
        if check and result.returncode != 0:
            raise SeedError(f"kubectl {' '.join(args)} exited {result.returncode}: {result.stderr.strip()}")
        return result

    def json(self, *args):
        return json.loads(self.run(*args, "-o", "json").stdout)


def registry_hint(lab_dir, message):
    """What a pull error says about the lab's registry, in the lab's words."""
    state = lab.load_state(lab_dir) or {}
    address = (state.get("bridge") or {}).get("address", "").split("/")[0]
    if address and address in message and ("connection refused" in message or "i/o timeout" in message):
        return (f"the lab's registry at {address}:5000 does not answer: is it running?"
                f" (its log: {Path(lab_dir) / 'registry' / 'registry.log'})")
    if "not found" in message:
        return "the lab's registry has no such image (tests/lab/registry.py catalog lists what it has)"
    return ""


def events(kubectl, pod):
    """The pod's events, oldest first, as 'reason: message' lines."""
    listed = kubectl.json("get", "events", "--field-selector", f"involvedObject.name={pod}")["items"]
    listed.sort(key=lambda item: item.get("lastTimestamp") or item.get("eventTime") or "")
    return [f"{item.get('reason')}: {item.get('message')}" for item in listed]


def stuck(lab_dir, kubectl, pod, scheduled_for):
    """A SeedError for a pod that will not come Ready by itself, or None."""
    name, node = pod["metadata"]["name"], pod["spec"].get("nodeName")
    for status in pod["status"].get("containerStatuses", []):
        waiting = status.get("state", {}).get("waiting") or {}
        if waiting.get("reason") in STUCK:
            message = waiting.get("message", "")
            if waiting["reason"] in PULL_FAILURES:
                hint = registry_hint(lab_dir, message)
                return SeedError(f"pod {name} on {node}: cannot pull image {status.get('image')!r}"
                                 f" ({waiting['reason']}): {message}" + (f"\n  {hint}" if hint else ""))
            return SeedError(f"pod {name} on {node}: container {status['name']} does not start"
                             f" ({waiting['reason']}): {message}")
    scheduled = next((c for c in pod["status"].get("conditions", []) if c["type"] == "PodScheduled"), {})
    if scheduled.get("status") == "False" and scheduled_for > 30:
        return SeedError(f"pod {name}: no node takes it ({scheduled.get('reason')}): {scheduled.get('message')}")
    return None


def wait_ready(lab_dir, kubectl, deployment, timeout):
    """The deployment's pod once Ready; SeedError naming the pod, its node and the cause otherwise."""
    started = time.monotonic()
    pod = None
    while True:
        pods = kubectl.json("get", "pods", "-l", f"app={deployment}")["items"]
        pods = [item for item in pods if not item["metadata"].get("deletionTimestamp")]
        if pods:
            pod = pods[0]
            conditions = {c["type"]: c["status"] for c in pod["status"].get("conditions", [])}
            if conditions.get("Ready") == "True":
                return pod
            problem = stuck(lab_dir, kubectl, pod, time.monotonic() - started)
            if problem:
                raise problem
        if time.monotonic() - started > timeout:
            if not pod:
                rs = kubectl.run("get", "rs", "-l", f"app={deployment}", "-o", "wide", check=False).stdout
                raise SeedError(f"deployment {deployment}: no pod within {timeout} s (is kube-controller-manager"
                                f" running?); its ReplicaSets:\n{rs}")
            name = pod["metadata"]["name"]
            raise SeedError(f"pod {name} on {pod['spec'].get('nodeName') or 'no node'}: not Ready within {timeout} s"
                            f" (phase {pod['status'].get('phase')}); its events:\n  " + "\n  ".join(events(kubectl, name)))
        time.sleep(0.5)


def fetch_page(lab_dir, kubectl, pod):
    """(node, status, page) of GET http://<pod address>/ from a node of the cluster other than the pod's
    (through the pod network's routes between nodes), or from its own when it has no peer."""
    cluster_nodes = [item["metadata"]["name"] for item in kubectl.json("get", "nodes")["items"]]
    others = [name for name in cluster_nodes if name != pod["spec"]["nodeName"]]
    source = (others or [pod["spec"]["nodeName"]])[0]
    deadline = time.monotonic() + 30
    while True:
        answer = lab.ssh(str(lab_dir), source, "python3", "-c", shlex.quote(FETCH), pod["status"]["podIP"], check=False)
        if answer.returncode == 0:
            status, _newline, page = answer.stdout.partition("\n")
            return source, int(status), page
        if time.monotonic() > deadline:
            raise SeedError(f"pod {pod['metadata']['name']} on {pod['spec']['nodeName']} is Ready, but"
                            f" http://{pod['status']['podIP']}/ does not answer from {source}: {answer.stderr.strip()}")
        time.sleep(1)


def seed(lab_dir, name="demo", image="httpd", timeout=180):
    """Ask the seed's question; return what happened (also written to lab_dir/seed-<name>.json)."""
    lab_dir = Path(lab_dir).resolve()
    kubectl = Kubectl(lab_dir)
    if kubectl.run("get", "deployment", name, check=False).returncode == 0:
        log(f"deleting the deployment {name} of an earlier run")
        kubectl.run("delete", "deployment", name, "--wait=true")
        deadline = time.monotonic() + 60
        while kubectl.json("get", "pods", "-l", f"app={name}")["items"] and time.monotonic() < deadline:
            time.sleep(1)
    began = datetime.datetime.now(datetime.timezone.utc)
    started = time.monotonic()
    kubectl.run("create", "deployment", name, f"--image={image}", "--port=80", show=True)
    created = time.monotonic()
    pod = wait_ready(lab_dir, kubectl, name, timeout)
    ready = time.monotonic()
    print(f"\npod {pod['metadata']['name']} Ready on {pod['spec']['nodeName']} {ready - started:.1f} s after"
          " the command\n", flush=True)
    kubectl.run("get", "deploy,rs,pod", "-o", "wide", show=True)
    source, status, page = fetch_page(lab_dir, kubectl, pod)
    print(f"\nGET http://{pod['status']['podIP']}/ from {source}: {status}\n{page.strip()}", flush=True)
    report = {"deployment": name, "image": image,
              "command": ["kubectl", "create", "deployment", name, f"--image={image}", "--port=80"],
              "pod": pod["metadata"]["name"], "uid": pod["metadata"]["uid"], "node": pod["spec"]["nodeName"],
              "pod_ip": pod["status"]["podIP"], "started": began.isoformat(timespec="milliseconds"),
              "create_seconds": round(created - started, 2), "ready_seconds": round(ready - started, 2),
              "page_status": status, "page": page, "fetched_from": source}
    (lab_dir / f"seed-{name}.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("lab_dir")
    parser.add_argument("--name", default="demo", help="the deployment's name (default %(default)s)")
    parser.add_argument("--image", default="httpd", help="its image (default %(default)s, as the seed has it)")
    parser.add_argument("--timeout", type=float, default=180, help="seconds the pod has to be Ready")
    args = parser.parse_args(argv)
    try:
        seed(args.lab_dir, args.name, args.image, args.timeout)
    except (SeedError, lab.LabError) as error:
        print(f"seed: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
