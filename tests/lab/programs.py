"""The lab's cluster programs beside Kubernetes, cached by version: the CNI reference plugins, the CNCF
distribution registry, and Debian's busybox (the program the lab's `httpd` image serves pages with).

cni_plugins(version)   bridge, host-local, loopback and portmap (v1.10.0): the official release archive
                       when reachable (checked against its .sha256), else built from the Go module
                       github.com/containernetworking/plugins.
registry(version)      the registry program (v3.1.2): the official release archive when reachable (checked
                       against its .sha256), else built from github.com/distribution/distribution/v3.
busybox(suite)         busybox from Debian's busybox-static package of a suite, unpacked, never installed.

Each returns the folder holding the programs: ${KUBETRACE_CACHE:-~/.cache/kubetrace}/cni/<version>/bin,
.../registry/<version>/bin, .../busybox/<suite>/bin, with provenance.json beside bin. Delete a folder to
fetch or build it anew.

    python3 tests/lab/programs.py cni [v1.10.0]
    python3 tests/lab/programs.py registry [v3.1.2]
    python3 tests/lab/programs.py busybox [trixie]

Python 3.11 standard library; `go` to build, `dpkg-deb` and apt-get (with a configuration of its own) for busybox.
"""

import argparse
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import containerd  # noqa: E402  pylint: disable=wrong-import-position
from cache import cache_root, locked  # noqa: E402  pylint: disable=wrong-import-position

CNI_VERSION = "v1.10.0"
CNI_MODULE = "github.com/containernetworking/plugins"
# What a pod network on a bridge needs: the bridge and its addresses, the pod's lo (containerd runs the
# loopback plugin itself), and host ports.
CNI_PLUGINS = {"bridge": "plugins/main/bridge", "host-local": "plugins/ipam/host-local",
               "loopback": "plugins/main/loopback", "portmap": "plugins/meta/portmap"}
CNI_RELEASE_URL = "https://github.com/containernetworking/plugins/releases/download/{version}/{name}"

REGISTRY_VERSION = "v3.1.2"
REGISTRY_MODULE = "github.com/distribution/distribution/v3"
REGISTRY_RELEASE_URL = "https://github.com/distribution/distribution/releases/download/{version}/{name}"

BUSYBOX_SUITE = "trixie"
DOWNLOAD_TIMEOUT = 5  # seconds: one short attempt at each official download


def log(message):
    """Progress on stderr."""
    print(f"programs: {message}", file=sys.stderr, flush=True)


def _official(url, sums_url, timeout=DOWNLOAD_TIMEOUT):
    """The bytes at url, checked against the hex digest that starts the text at sums_url; None when either
    cannot be fetched. An archive that arrives but does not match is an error, never used."""
    try:
        with urllib.request.urlopen(sums_url, timeout=timeout) as response:
            expected = response.read().decode().split()[0].lower()
        with urllib.request.urlopen(url, timeout=timeout) as response:
            data = response.read()
    except OSError as error:  # URLError, timeouts and HTTP errors are all OSErrors
        log(f"official release not reachable ({error}); building from the Go module")
        return None
    if hashlib.sha256(data).hexdigest() != expected:
        raise RuntimeError(f"{url} does not match its published sha256")
    return data


def _go_install(packages, bin_folder, ldflags=""):
    """`go install` of module packages at their versions into bin_folder, static; returns seconds taken."""
    env = dict(os.environ, GOBIN=str(bin_folder), CGO_ENABLED="0", GOOS="linux", GOARCH="amd64",
               GOTOOLCHAIN="local")
    started = time.monotonic()
    subprocess.run(["go", "install", "-trimpath", "-ldflags", f"-s -w {ldflags}".strip(), *packages],
                   env=env, check=True, stdout=sys.stderr)
    return round(time.monotonic() - started, 1)


def _go_version():
    return subprocess.run(["go", "env", "GOVERSION"], capture_output=True, text=True, check=True).stdout.strip()


def _cached(kind, version, wanted, make):
    """The bin folder of kind/version, made by make(scratch_bin) -> provenance when a program is missing."""
    folder = cache_root(kind) / version
    bin_folder = folder / "bin"
    with locked(folder):
        if all((bin_folder / name).exists() for name in wanted):
            return bin_folder
        shutil.rmtree(bin_folder, ignore_errors=True)
        scratch = Path(tempfile.mkdtemp(prefix=".fetch-", dir=folder))
        try:
            (scratch / "bin").mkdir()
            info = make(scratch / "bin")
            (scratch / "bin").chmod(0o755)
            (scratch / "bin").rename(bin_folder)
            (folder / "provenance.json").write_text(json.dumps(info, indent=2, sort_keys=True) + "\n")
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return bin_folder


def _built_at():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def cni_plugins(version=CNI_VERSION):
    """A folder with the CNI plugins bridge, host-local, loopback and portmap of `version`."""
    name = f"cni-plugins-linux-amd64-{version}.tgz"

    def make(out):
        url = CNI_RELEASE_URL.format(version=version, name=name)
        data = _official(url, url + ".sha256")
        if data is not None:
            with tarfile.open(fileobj=io.BytesIO(data)) as archive:
                for plugin in CNI_PLUGINS:
                    with open(out / plugin, "wb") as target:
                        shutil.copyfileobj(archive.extractfile(f"./{plugin}"), target)
                    (out / plugin).chmod(0o755)
            return {"source": "official", "url": url, "plugins": sorted(CNI_PLUGINS)}
        # The release stamps its version in the same variable (its workflow's -X flag).
        seconds = _go_install([f"{CNI_MODULE}/{path}@{version}" for path in CNI_PLUGINS.values()], out,
                              f"-X {CNI_MODULE}/pkg/utils/buildversion.BuildVersion={version}")
        log(f"built the CNI plugins {version} in {seconds:.0f} s")
        return {"source": "built", "module": f"{CNI_MODULE}@{version}", "go": _go_version(),
                "plugins": sorted(CNI_PLUGINS), "compile_seconds": seconds, "built_at": _built_at()}

    return _cached("cni", version, CNI_PLUGINS, make)


def registry(version=REGISTRY_VERSION):
    """A folder with the CNCF distribution registry program `registry` of `version`."""
    name = f"registry_{version.lstrip('v')}_linux_amd64.tar.gz"

    def make(out):
        url = REGISTRY_RELEASE_URL.format(version=version, name=name)
        data = _official(url, url + ".sha256")
        if data is not None:
            with tarfile.open(fileobj=io.BytesIO(data)) as archive:
                with open(out / "registry", "wb") as target:
                    shutil.copyfileobj(archive.extractfile("registry"), target)
            (out / "registry").chmod(0o755)
            return {"source": "official", "url": url}
        # The release build's version stamp (its Dockerfile's -X flags), without the revision the proxy lacks.
        seconds = _go_install([f"{REGISTRY_MODULE}/cmd/registry@{version}"], out,
                              f"-X {REGISTRY_MODULE}/version.version={version.lstrip('v')}"
                              f" -X {REGISTRY_MODULE}/version.mainpkg={REGISTRY_MODULE}")
        log(f"built registry {version} in {seconds:.0f} s")
        return {"source": "built", "module": f"{REGISTRY_MODULE}@{version}", "go": _go_version(),
                "compile_seconds": seconds, "built_at": _built_at()}

    return _cached("registry", version, ["registry"], make)


def busybox(suite=BUSYBOX_SUITE):
    """A folder with Debian's static busybox of a suite (package busybox-static), unpacked from the .deb."""

    def make(out):
        with tempfile.TemporaryDirectory(prefix="kubetrace-busybox-") as scratch:
            # The same private apt configuration as Debian's containerd packages: the host's apt state stays.
            containerd._apt_get(suite, "update")  # pylint: disable=protected-access
            containerd._apt_get(suite, "download", "busybox-static", cwd=scratch)  # pylint: disable=protected-access
            deb, = Path(scratch).glob("busybox-static_*.deb")
            subprocess.run(["dpkg-deb", "-x", str(deb), f"{scratch}/root"], check=True)
            shutil.copyfile(next(Path(scratch, "root").glob("**/bin/busybox")), out / "busybox")
            (out / "busybox").chmod(0o755)
            return {"source": "debian", "suite": suite, "package": deb.name, "fetched_at": _built_at()}

    return _cached("busybox", suite, ["busybox"], make)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("cni", help="the CNI plugins").add_argument("version", nargs="?", default=CNI_VERSION)
    commands.add_parser("registry", help="the registry").add_argument("version", nargs="?", default=REGISTRY_VERSION)
    commands.add_parser("busybox", help="Debian's static busybox").add_argument("suite", nargs="?", default=BUSYBOX_SUITE)
    args = parser.parse_args()
    print({"cni": cni_plugins, "registry": registry, "busybox": busybox}[args.command](
        args.version if args.command != "busybox" else args.suite))


if __name__ == "__main__":
    main()
