"""The lab's image registry: the CNCF distribution registry (tests/lab/programs.py) on the lab's bridge,
serving the images the nodes pull: kubeadm's control-plane images and the seed's `httpd`.

start(lab_dir, address)   runs the registry on address:PORT (the bridge's own address, so only the lab's
                          nodes and this host reach it), its data, config and log in lab_dir/registry/;
                          returns "address:PORT" once GET /v2/ answers.
push(endpoint, tar)       uploads an OCI image-layout tar (one manifest, as controlplane.build_image writes
                          them) through the registry's HTTP API, under the name its index annotates
                          (registry.k8s.io/etcd:3.6.16-0 becomes repository etcd, tag 3.6.16-0;
                          docker.io/library/httpd:latest becomes library/httpd, latest).
stop(lab_dir)             stops it (the demo's fault test stops it on purpose; scenario.down always does).

Python 3.11 standard library only. Plain HTTP: the registry is reached on the lab's private bridge only,
and containerd's hosts.toml files name it with http://.
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import tarfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import lab  # noqa: E402  pylint: disable=wrong-import-position
import programs  # noqa: E402  pylint: disable=wrong-import-position

PORT = 5000
CONFIG = """\
# Written by kubetrace's tests/lab/registry.py: the lab's registry, on the lab's bridge only.
version: 0.1
log:
  level: info
  formatter: text
storage:
  filesystem:
    rootdirectory: {data}
  delete:
    enabled: true
http:
  addr: {address}:{port}
"""
MANIFEST = "application/vnd.oci.image.manifest.v1+json"


class RegistryError(Exception):
    """The registry did not start, or refused an upload; the message says which and where to look."""


def folder(lab_dir):
    return Path(lab_dir) / "registry"


def repository(reference):
    """(repository, tag) in the registry for an image reference: the host goes, the path stays."""
    name, _colon, tag = reference.rpartition(":")
    host, _slash, path = name.partition("/")
    if "." not in host and ":" not in host:     # no host in the reference: a Docker Hub name
        path = name
    if host == "docker.io" and "/" not in path:
        path = "library/" + path
    return path, tag


def _request(method, url, data=None, headers=None, timeout=30):
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def answers(endpoint, timeout=2):
    """True when GET /v2/ answers 200 (the registry's API version check)."""
    try:
        return _request("GET", f"http://{endpoint}/v2/", timeout=timeout)[0] == 200
    except OSError:
        return False


def start(lab_dir, address, port=PORT, timeout=30):
    """Run the registry on address:port with its files in lab_dir/registry/; return "address:port"."""
    base = folder(lab_dir)
    (base / "data").mkdir(parents=True, exist_ok=True)
    (base / "config.yml").write_text(CONFIG.format(data=base / "data", address=address, port=port))
    program = programs.registry() / "registry"
    # No exporter: the registry's own OpenTelemetry setup would otherwise send to localhost:4318.
    env = dict(os.environ, OTEL_TRACES_EXPORTER="none", OTEL_METRICS_EXPORTER="none")
    with open(base / "registry.log", "ab") as log:
        process = subprocess.Popen([str(program), "serve", str(base / "config.yml")], stdout=log,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                   start_new_session=True)
    (base / "registry.pid").write_text(str(process.pid))
    endpoint = f"{address}:{port}"
    deadline = time.monotonic() + timeout
    while not answers(endpoint):
        if process.poll() is not None or time.monotonic() > deadline:
            stop(lab_dir)
            tail = (base / "registry.log").read_text(errors="replace").strip().splitlines()[-15:]
            raise RegistryError(f"the registry did not answer on http://{endpoint}/v2/ within {timeout} s;"
                                f" its log ({base / 'registry.log'}):\n" + "\n".join(tail))
        time.sleep(0.2)
    return endpoint


def running(lab_dir):
    """The pid of the lab's registry when it runs, else None."""
    pid_file = folder(lab_dir) / "registry.pid"
    try:
        pid = int(pid_file.read_text())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def stop(lab_dir, timeout=10):
    """Stop the lab's registry (safe when it is not running); its data stays until the lab folder goes."""
    pid = running(lab_dir)
    if pid:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
        if not lab.wait_until(lambda: not lab.alive(pid), timeout):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
    (folder(lab_dir) / "registry.pid").unlink(missing_ok=True)


def _upload_blob(endpoint, repo, digest, data):
    """Upload one blob (monolithic: POST a session, PUT the bytes with their digest) unless it is there."""
    base = f"http://{endpoint}/v2/{repo}/blobs"
    if _request("HEAD", f"{base}/{digest}")[0] == 200:
        return False
    status, headers, body = _request("POST", f"{base}/uploads/")
    if status != 202:
        raise RegistryError(f"{repo}: starting an upload answered {status}: {body[:300]!r}")
    location = headers.get("Location", "")
    if location.startswith("/"):
        location = f"http://{endpoint}{location}"
    separator = "&" if "?" in location else "?"
    status, _headers, body = _request("PUT", f"{location}{separator}digest={digest}", data,
                                      {"Content-Type": "application/octet-stream"})
    if status != 201:
        raise RegistryError(f"{repo}: uploading {digest} answered {status}: {body[:300]!r}")
    return True


def push(endpoint, tar_path):
    """Upload an OCI image-layout tar to the registry; return the image reference it was annotated with."""
    with tarfile.open(tar_path) as tar:
        def blob(digest):
            return tar.extractfile(f"blobs/sha256/{digest.split(':', 1)[1]}").read()

        index = json.loads(tar.extractfile("index.json").read())
        entry, = index["manifests"]
        reference = entry["annotations"]["io.containerd.image.name"]
        repo, tag = repository(reference)
        manifest_bytes = blob(entry["digest"])
        manifest = json.loads(manifest_bytes)
        for descriptor in [manifest["config"], *manifest["layers"]]:
            _upload_blob(endpoint, repo, descriptor["digest"], blob(descriptor["digest"]))
    status, _headers, body = _request("PUT", f"http://{endpoint}/v2/{repo}/manifests/{tag}", manifest_bytes,
                                      {"Content-Type": entry.get("mediaType", MANIFEST)})
    if status != 201:
        raise RegistryError(f"{reference}: the manifest upload answered {status}: {body[:300]!r}")
    return reference


def catalog(endpoint):
    """{repository: [tags]} of what the registry holds."""
    status, _headers, body = _request("GET", f"http://{endpoint}/v2/_catalog")
    if status != 200:
        raise RegistryError(f"GET /v2/_catalog answered {status}")
    found = {}
    for repo in json.loads(body).get("repositories") or []:
        tags = json.loads(_request("GET", f"http://{endpoint}/v2/{repo}/tags/list")[2]).get("tags") or []
        found[repo] = sorted(tags)
    return found
