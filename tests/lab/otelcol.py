"""The node agent's program for the lab: an OpenTelemetry Collector distribution made with the Collector
Builder (ocb) from its Go modules, holding only the components the otel_agent role configures, packed like
an official collector release so that the role's download-and-checksum path is the one the tests run.

archive(version)  otelcol-kubetrace_<version>_linux_amd64.tar.gz and
                  opentelemetry-collector-releases_otelcol-kubetrace_checksums.txt (the official
                  releases' names and `sha256sum` format, with the distribution's own name), cached.
binary(version)   the `otelcol-kubetrace` program unpacked from that archive.

The cache is ${KUBETRACE_CACHE:-~/.cache/kubetrace}/otelcol/<version>; delete a folder there to build it anew.
Go builds run under `nice -n 10` (the machines have two cores and may be building something else).

    python3 tests/lab/otelcol.py archive [--version 0.165.0]   # prints the two paths (--gateway: the gateway build)
    python3 tests/lab/otelcol.py binary [--version 0.165.0]    # prints the unpacked program's path
    python3 tests/lab/otelcol.py components                    # what the built program holds
"""

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cache import cache_root, locked, sha256, unpacked  # noqa: E402  pylint: disable=wrong-import-position

DISTRIBUTION = "otelcol-kubetrace"
DEFAULT_VERSION = "0.165.0"
BUILDER = "go.opentelemetry.io/collector/cmd/builder"
CORE = "go.opentelemetry.io/collector"
CONTRIB = "github.com/open-telemetry/opentelemetry-collector-contrib"
# The gateway tier's build (molecule/gateway): the newest release whose load-balancing exporter module the Go module
# proxy serves here (it refuses that module at 0.161.0-0.165.x); the role's templates are the same for both.
GATEWAY_VERSION = "0.160.0"
# Core modules at the builder's release; contrib modules at the release the module proxy pairs with it
# (v0.165.0 of core goes with contrib v0.165.1).
CONTRIB_VERSION = {"0.165.0": "0.165.1", "0.160.0": "0.160.0"}
PLATFORM = "linux_amd64"

# What the otel_agent role's configuration names, and nothing else: (kind, module path, which release line).
COMPONENTS = (
    ("receivers", f"{CORE}/receiver/otlpreceiver", "core"),
    ("exporters", f"{CORE}/exporter/otlpexporter", "core"),
    ("exporters", f"{CORE}/exporter/debugexporter", "core"),
    ("processors", f"{CORE}/processor/batchprocessor", "core"),
    ("processors", f"{CORE}/processor/memorylimiterprocessor", "core"),
    ("processors", f"{CONTRIB}/processor/resourceprocessor", "contrib"),
    ("extensions", f"{CONTRIB}/extension/storage/filestorage", "contrib"),
    ("extensions", f"{CONTRIB}/extension/healthcheckextension", "contrib"),
)
# What only some builds hold: the agents' balancer over the gateway tier, by trace id.
EXTRA_COMPONENTS = {
    GATEWAY_VERSION: (("exporters", f"{CONTRIB}/exporter/loadbalancingexporter", "contrib"),),
}


def components(version):
    """The components of the build at `version`."""
    return COMPONENTS + EXTRA_COMPONENTS.get(version, ())


def log(message):
    """Progress on stderr."""
    print(f"otelcol: {message}", file=sys.stderr, flush=True)


def archive_name(version):
    """'otelcol-kubetrace_0.165.0_linux_amd64.tar.gz', as the official releases name theirs."""
    return f"{DISTRIBUTION}_{version}_{PLATFORM}.tar.gz"


def checksums_name():
    """The release's checksum file over its archives (goreleaser's name, with the distribution's)."""
    return f"opentelemetry-collector-releases_{DISTRIBUTION}_checksums.txt"


def manifest(version, output):
    """The builder's manifest: the distribution's name and version, and the components at their releases."""
    releases = {"core": version, "contrib": CONTRIB_VERSION.get(version, version)}
    lines = ["dist:", f"  name: {DISTRIBUTION}",
             "  description: kubetrace's node agent (OpenTelemetry Collector, only the components it uses)",
             f"  output_path: {output}", f"  version: {version}"]
    for kind in ("receivers", "exporters", "processors", "extensions"):
        lines.append(f"{kind}:")
        lines += [f"  - gomod: {module} v{releases[line]}" for what, module, line in components(version) if what == kind]
    return "\n".join(lines) + "\n"


def _go_env(gobin=None):
    env = dict(os.environ, CGO_ENABLED="0", GOOS="linux", GOARCH="amd64", GOTOOLCHAIN="local")
    if gobin:
        env["GOBIN"] = str(gobin)
    return env


def build(version, folder):
    """Build the distribution into folder/build/out; (program path, provenance)."""
    work = folder / "build"
    shutil.rmtree(work, ignore_errors=True)
    (work / "bin").mkdir(parents=True)
    started = time.monotonic()
    subprocess.run(["nice", "-n", "10", "go", "install", f"{BUILDER}@v{version}"], env=_go_env(work / "bin"),
                   check=True, stdout=sys.stderr)
    (work / "manifest.yaml").write_text(manifest(version, work / "out"))
    subprocess.run(["nice", "-n", "10", str(work / "bin" / "builder"), "--config", str(work / "manifest.yaml")],
                   cwd=work, env=_go_env(), check=True, stdout=sys.stderr)
    seconds = round(time.monotonic() - started, 1)
    program = work / "out" / DISTRIBUTION
    reported = subprocess.run([str(program), "--version"], capture_output=True, text=True, check=True).stdout
    if version not in reported:
        raise RuntimeError(f"the built collector reports {reported.strip()!r}, expected {version}")
    go_version = subprocess.run(["go", "env", "GOVERSION"], capture_output=True, text=True, check=True).stdout.strip()
    info = {"source": "built", "builder": f"{BUILDER}@v{version}", "go": go_version,
            "components": [f"{module}@v{CONTRIB_VERSION.get(version, version) if line == 'contrib' else version}"
                           for _kind, module, line in components(version)],
            "build_seconds": seconds, "built_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
    log(f"built {DISTRIBUTION} {version} in {seconds:.0f} s")
    return program, info


def pack(program, tarball, mtime=0):
    """The release-shaped tar.gz: the program at the top (as the official archives have it), repeatable bytes."""
    part = Path(tarball).with_suffix(".part")
    info = tarfile.TarInfo(DISTRIBUTION)
    info.mode, info.size, info.mtime = 0o755, Path(program).stat().st_size, mtime
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    with open(part, "wb") as raw, \
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=6, mtime=0) as compressed, \
            tarfile.open(fileobj=compressed, mode="w", format=tarfile.GNU_FORMAT) as tar, \
            open(program, "rb") as handle:
        tar.addfile(info, handle)
    part.rename(tarball)


def _matches(tarball, checksums):
    if not (tarball.exists() and checksums.exists()):
        return False
    wanted = dict(reversed(line.split(None, 1)) for line in checksums.read_text().splitlines() if line.strip())
    return wanted.get(tarball.name) == sha256(tarball)


def archive(version=DEFAULT_VERSION):
    """(tar.gz, checksums.txt) of the distribution at `version`, built once and cached."""
    version = version.lstrip("v")
    folder = cache_root("otelcol") / version
    tarball, checksums = folder / archive_name(version), folder / checksums_name()
    with locked(folder):
        if _matches(tarball, checksums):
            return tarball, checksums
        program, info = build(version, folder)
        pack(program, tarball)
        # goreleaser's format: "<digest>  <name>", two spaces.
        checksums.write_text(f"{sha256(tarball)}  {tarball.name}\n")
        (folder / "provenance.json").write_text(json.dumps(info, indent=2, sort_keys=True) + "\n")
        shutil.rmtree(folder / "build", ignore_errors=True)
    return tarball, checksums


def binary(version=DEFAULT_VERSION):
    """The program unpacked from the archive into the cache."""
    tarball, _checksums = archive(version)
    return unpacked(tarball, sha256(tarball), DISTRIBUTION)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("command", choices=["archive", "binary", "components"])
    parser.add_argument("--version", default=DEFAULT_VERSION)
    parser.add_argument("--gateway", action="store_true", help=f"the gateway tier's build ({GATEWAY_VERSION})")
    args = parser.parse_args()
    if args.gateway:
        args.version = GATEWAY_VERSION
    if args.command == "archive":
        print(*archive(args.version), sep="\n")
    elif args.command == "binary":
        print(binary(args.version))
    else:
        subprocess.run([str(binary(args.version)), "components"], check=True)


if __name__ == "__main__":
    main()
