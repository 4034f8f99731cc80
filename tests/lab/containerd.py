"""Real containerd binaries for the lab and the tests, cached between runs.

debian(suite)    Debian's containerd package for a suite, downloaded and unpacked, never installed.
source(version)  containerd 2.x or 1.x built from its upstream Go module (1.7.15 is the lab's containerd
                 that reads its tracing settings only from config.toml).
running(folder)  one of those started as a plain process, everything under a temporary folder.

debian() and source() return a folder holding bin/containerd, bin/ctr and the shims.
The cache is ${KUBETRACE_CACHE:-~/.cache/kubetrace}/containerd; delete a folder there to fetch it anew.

    python3 tests/lab/containerd.py debian bookworm|trixie   # prints the folder
    python3 tests/lab/containerd.py source v2.2.9            # prints the folder, build time on stderr
    python3 tests/lab/containerd.py plugins FOLDER           # starts it, prints `ctr plugins ls`
"""

import argparse
import contextlib
import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
from pathlib import Path

from cache import cache_root, locked
from daemons import daemon

MODULE = "github.com/containerd/containerd/v2"
MODULE_V1 = "github.com/containerd/containerd"     # the 1.x releases' module path
COMMANDS = ("containerd", "ctr", "containerd-shim-runc-v2")
DEFAULT_KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"


def _host_codename():
    for line in Path("/etc/os-release").read_text().splitlines():
        if line.startswith("VERSION_CODENAME="):
            return line.split("=", 1)[1].strip('"')
    return None


def _apt_sources(etc_apt=Path("/etc/apt")):
    """Yield (types, uris, suites, options) for every source this host's apt reads."""
    files = [etc_apt / "sources.list"] + sorted((etc_apt / "sources.list.d").glob("*"))
    for path in files:
        if path.suffix == ".list" and path.is_file():
            for line in path.read_text().splitlines():
                words = line.split("#", 1)[0].split()
                options = {}
                if len(words) > 1 and words[1].startswith("["):
                    end = next((i for i, word in enumerate(words) if word.endswith("]")), len(words) - 1)
                    for option in " ".join(words[1:end + 1]).strip("[]").split():
                        key, _sep, value = option.partition("=")
                        options[key.lower()] = value
                    words = [words[0]] + words[end + 1:]
                if len(words) >= 3:
                    yield [words[0]], [words[1]], [words[2]], options
        elif path.suffix == ".sources" and path.is_file():
            for stanza in path.read_text().split("\n\n"):
                fields = {}
                for line in stanza.splitlines():
                    if line and not line.startswith(("#", " ", "\t")) and ":" in line:
                        key, _sep, value = line.partition(":")
                        fields[key.strip().lower()] = value.strip()
                if fields.get("enabled", "yes") != "no":
                    yield (fields.get("types", "").split(), fields.get("uris", "").split(),
                           fields.get("suites", "").split(), fields)


def debian_mirror():
    """The Debian mirror this host already uses: (uri, keyring or None).

    It is the source that serves the host's own release; KUBETRACE_DEBIAN_MIRROR overrides it.
    """
    if os.environ.get("KUBETRACE_DEBIAN_MIRROR"):
        return os.environ["KUBETRACE_DEBIAN_MIRROR"], DEFAULT_KEYRING
    codename = _host_codename()
    for types, uris, suites, options in _apt_sources():
        if "deb" in types and uris and codename in suites:
            keyring = options.get("signed-by", "")
            return uris[0], keyring if keyring.startswith("/") else None
    raise RuntimeError("no Debian mirror found in /etc/apt/sources.list{,.d}: set KUBETRACE_DEBIAN_MIRROR")


def _apt_get(suite, *args, cwd=None):
    """Run apt-get with a configuration of its own, so the host's apt state stays as it is."""
    work = cache_root("containerd") / "apt" / suite
    for folder in ("lists/partial", "archives/partial", "sources.list.d"):
        (work / folder).mkdir(parents=True, exist_ok=True)
    (work / "status").touch()
    uri, keyring = debian_mirror()
    signed_by = f" [signed-by={keyring}]" if keyring else ""
    (work / "sources.list").write_text(f"deb{signed_by} {uri} {suite} main\n")
    # `apt-get -c` reads this after the host's apt.conf.d, so the host's proxy settings still
    # apply while #clear drops its hooks (they would refresh the host's own caches).
    (work / "apt.conf").write_text(
        f'Dir::Etc::sourcelist "{work}/sources.list";\n'
        f'Dir::Etc::sourceparts "{work}/sources.list.d";\n'
        f'Dir::State::Lists "{work}/lists";\n'
        f'Dir::State::status "{work}/status";\n'
        f'Dir::Cache "{work}";\n'
        f'Dir::Cache::archives "{work}/archives";\n'
        'APT::Sandbox::User "root";\n'
        'Acquire::IndexTargets::deb::DEP-11::DefaultEnabled "false";\n'
        "#clear APT::Update::Post-Invoke-Success;\n"
        "#clear DPkg::Post-Invoke;\n"
    )
    subprocess.run(["apt-get", "-c", str(work / "apt.conf"), "-q", *args], cwd=cwd, check=True,
                   stdout=sys.stderr)


def debian(suite):
    """Debian's containerd for suite (bookworm: 1.6.20, trixie: 1.7.24), unpacked into the cache.

    Returns the unpacked usr/ folder. The .deb stays beside it, for nodes that install it.
    """
    target = cache_root("containerd") / f"debian-{suite}"
    with locked(cache_root("containerd") / f".lock-debian-{suite}"):
        if (target / "usr" / "bin" / "containerd").exists():
            return target / "usr"
        scratch = Path(tempfile.mkdtemp(prefix=f".debian-{suite}-", dir=cache_root("containerd")))
        try:
            _apt_get(suite, "update")
            _apt_get(suite, "download", "containerd", cwd=scratch)
            deb, = scratch.glob("containerd_*.deb")
            subprocess.run(["dpkg-deb", "-x", str(deb), str(scratch)], check=True)
            scratch.chmod(0o755)
            scratch.rename(target)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return target / "usr"


RELEASE_URL = "https://github.com/containerd/containerd/releases/download/{tag}/{name}"


def download_official(version, folder, timeout=5):
    """One short attempt at the official static release of `version`, unpacked into folder (bin/...).

    Returns False when it cannot be fetched (the caller builds instead); an archive that arrives
    but does not match its published sha256 is an error, never used.
    """
    name = f"containerd-{version.lstrip('v')}-linux-amd64.tar.gz"
    try:
        with urllib.request.urlopen(RELEASE_URL.format(tag=version, name=name + ".sha256sum"),
                                    timeout=timeout) as response:
            expected = response.read().decode().split()[0]
        with urllib.request.urlopen(RELEASE_URL.format(tag=version, name=name), timeout=timeout) as response:
            data = response.read()
    except OSError as error:  # URLError, timeouts and HTTP errors are all OSErrors
        print(f"official containerd release not reachable ({error}); building from {MODULE}", file=sys.stderr)
        return False
    if hashlib.sha256(data).hexdigest() != expected:
        raise RuntimeError(f"{name} from the official release does not match its published sha256")
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        archive.extractall(folder, filter="data")
    return True


def _build_v1(version, scratch):
    """containerd 1.x from its module: its go.mod has exclude lines, which `go install pkg@version` refuses, so a
    scratch module requires it and `go build` runs there (the exclude lines of a dependency do not apply)."""
    tools = scratch / "build"
    tools.mkdir()
    env = dict(os.environ, CGO_ENABLED="0", GOFLAGS="-mod=mod")
    (tools / "go.mod").write_text("module kubetrace.invalid/containerd-build\n\ngo 1.21\n")
    subprocess.run(["go", "get", *(f"{MODULE_V1}/cmd/{command}@{version}" for command in COMMANDS)],
                   cwd=tools, env=env, check=True, stdout=sys.stderr, stderr=sys.stderr)
    subprocess.run(["go", "build", "-tags", "no_btrfs", "-ldflags", f"-X {MODULE_V1}/version.Version={version}",
                    "-o", str(scratch / "bin") + "/", *(f"{MODULE_V1}/cmd/{command}" for command in COMMANDS)],
                   cwd=tools, env=env, check=True, stdout=sys.stderr, stderr=sys.stderr)
    shutil.rmtree(tools)


def source(version):
    """containerd `version` (v2.x.y or v1.x.y) built from the Go module proxy into the cache, once (locked: two
    labs started at once build it once).

    v2: `go install pkg@version` works because containerd's go.mod has no replace lines. CGO_ENABLED=0 gives
    static binaries that run on any node; no_btrfs names the one snapshotter that would need C headers.
    """
    if not version.startswith(("v2.", "v1.")):
        raise ValueError(f"{version}: only containerd v1.x.y and v2.x.y are built from their modules")
    target = cache_root("containerd") / f"source-{version}"
    with locked(cache_root("containerd") / f".lock-source-{version}"):
        if (target / "bin" / "containerd").exists():
            return target
        scratch = Path(tempfile.mkdtemp(prefix=f".source-{version}-", dir=cache_root("containerd")))
        try:
            if download_official(version, scratch):
                scratch.chmod(0o755)
                scratch.rename(target)
                return target
            started = time.monotonic()
            if version.startswith("v1."):
                _build_v1(version, scratch)
            else:
                env = dict(os.environ, GOBIN=str(scratch / "bin"), CGO_ENABLED="0")
                subprocess.run(
                    ["go", "install", "-tags", "no_btrfs", "-ldflags", f"-X {MODULE}/version.Version={version}",
                     *(f"{MODULE}/cmd/{command}@{version}" for command in COMMANDS)],
                    env=env, check=True, stdout=sys.stderr)
            print(f"built containerd {version} in {time.monotonic() - started:.0f} s", file=sys.stderr)
            scratch.chmod(0o755)
            scratch.rename(target)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return target


def version(folder):
    """The version folder/bin/containerd reports: '1.6.20~ds1', 'v2.2.9'."""
    out = subprocess.run([str(Path(folder) / "bin" / "containerd"), "--version"],
                         capture_output=True, text=True, check=True).stdout
    return out.split()[2]


def _config(folder, tmp):
    """A config.toml that keeps every path containerd writes or watches under tmp."""
    major = version(folder).lstrip("v").split(".")[0]
    if major == "1":
        cri, cni_bin = '"io.containerd.grpc.v1.cri"', f'bin_dir = "{tmp}/cni/bin"'
    else:
        cri, cni_bin = '"io.containerd.cri.v1.runtime"', f'bin_dirs = ["{tmp}/cni/bin"]'
    return f"""\
version = {2 if major == "1" else 3}
root = "{tmp}/root"
state = "{tmp}/state"
imports = []

[grpc]
  address = "{tmp}/containerd.sock"

[ttrpc]
  address = "{tmp}/containerd.sock.ttrpc"

[plugins."io.containerd.internal.v1.opt"]
  path = "{tmp}/opt"

[plugins."io.containerd.nri.v1.nri"]
  socket_path = "{tmp}/nri/nri.sock"
  plugin_path = "{tmp}/nri/plugins"
  plugin_config_path = "{tmp}/nri/conf.d"

[plugins."io.containerd.image-verifier.v1.bindir"]
  bin_dir = "{tmp}/image-verifier/bin"

[plugins.{cri}]
  cdi_spec_dirs = ["{tmp}/cdi"]

[plugins.{cri}.cni]
  {cni_bin}
  conf_dir = "{tmp}/cni/net.d"
"""


@contextlib.contextmanager
def running(folder, extra_config="", env=None, timeout=30, config_text=None):
    """Start folder/bin/containerd as a plain process; yield its socket address; stop it.

    root, state, sockets and config live in a temporary folder: no system containerd is touched.
    extra_config: TOML tables appended to the config; env: variables added to its environment;
    config_text: a whole config of the caller's instead, "{tmp}" standing for the temporary folder.
    containerd 1.7.2x and 2.x create an empty /run/containerd even so (the shims' socket folder,
    hard-coded): removed again at stop when it was not there before.
    """
    folder = Path(folder)
    run_folder_existed = Path("/run/containerd").exists()
    with tempfile.TemporaryDirectory(prefix="kubetrace-containerd-") as tmp:
        config = Path(tmp) / "config.toml"
        config.write_text(config_text.replace("{tmp}", tmp) if config_text else _config(folder, tmp) + extra_config)
        address = f"{tmp}/containerd.sock"
        env = {**os.environ, "PATH": f"{folder / 'bin'}:{os.environ.get('PATH', '')}", **(env or {})}

        def ready():
            return ctr(folder, address, "version", check=False).returncode == 0

        try:
            with daemon([str(folder / "bin" / "containerd"), "--config", str(config)],
                        Path(tmp) / "containerd.log", ready, "containerd", timeout, env=env):
                yield address
        finally:
            if not run_folder_existed:
                with contextlib.suppress(OSError):
                    Path("/run/containerd").rmdir()


def ctr(folder, address, *args, check=True):
    """Run folder/bin/ctr against the containerd at address."""
    return subprocess.run([str(Path(folder) / "bin" / "ctr"), "--address", address, *args],
                          capture_output=True, text=True, check=check)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("debian", help="Debian's package for a suite").add_argument("suite")
    commands.add_parser("source", help="built from the Go module").add_argument("version")
    commands.add_parser("plugins", help="start it, print `ctr plugins ls`").add_argument("folder")
    args = parser.parse_args()
    if args.command == "debian":
        print(debian(args.suite))
    elif args.command == "source":
        print(source(args.version))
    else:
        with running(args.folder) as address:
            print(ctr(args.folder, address, "plugins", "ls").stdout, end="")


if __name__ == "__main__":
    main()
