"""A real Jaeger v2, shaped like its official GitHub release, for the lab and the tests.

archive(version)  jaeger-<version>-linux-amd64.tar.gz and jaeger-<version>.sha256sum.txt, in the
                  official release's layout and checksum format. Downloaded from the official
                  release when reachable (and checked against its checksum file), otherwise built
                  from Jaeger's Go module and packed the same way.
binary(version)   the `jaeger` program unpacked from that archive.
running(binary)   it started as a plain process with a memory store, everything on 127.0.0.1.
smoke(binary)     start it, send one OTLP/HTTP trace, read it back through the query APIs.

The cache is ${KUBETRACE_CACHE:-~/.cache/kubetrace}/jaeger/<version>; delete a folder there to
fetch or build it anew.

    python3 tests/lab/jaeger.py archive [--version 2.13.0]   # prints the two paths
    python3 tests/lab/jaeger.py binary [--version 2.13.0]    # prints the unpacked program's path
    python3 tests/lab/jaeger.py smoke [--version 2.13.0 | --binary PATH]
"""

import argparse
import contextlib
import gzip
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cache import cache_root, locked, sha256, unpacked
from daemons import daemon, http

MODULE = "github.com/jaegertracing/jaeger"
RELEASE_URL = "https://github.com/jaegertracing/jaeger/releases/download/v{version}/{name}"
PLATFORM = "linux-amd64"
DEFAULT_VERSION = "2.13.0"

# Jaeger v2 has no Go module of its own: each v2 release is cut from the same commit as a v1 tag
# of github.com/jaegertracing/jaeger, whose cmd/jaeger is the v2 program. Pairs as listed in that
# module's CHANGELOG.md ("v1.76.0 / v2.13.0 (2025-12-03)") and served by the Go module proxy.
# Only 2.13.0 has been built and smoke-tested here.
MODULE_TAGS = {
    "2.10.0": "v1.73.0",
    "2.11.0": "v1.74.0",
    "2.12.0": "v1.75.0",
    "2.13.0": "v1.76.0",
}

# What the official v2 archive holds, under its top folder jaeger-<version>-<platform>/:
# release file name -> package built into it.
PROGRAMS = {
    "jaeger": f"{MODULE}/cmd/jaeger",
    "example-hotrod": f"{MODULE}/examples/hotrod",
}

# Default ports of a Jaeger v2 on one host, by role.
DEFAULT_PORTS = {
    "otlp_grpc": 4317,
    "otlp_http": 4318,
    "query_http": 16686,
    "query_grpc": 16685,
    "health": 13133,
}


# ---------------------------------------------------------------------------------------------
# Cache and names

def package_name(version):
    """The release's top folder and archive stem: 'jaeger-2.13.0-linux-amd64'."""
    return f"jaeger-{version}-{PLATFORM}"


def archive_name(version):
    """The release archive's file name: 'jaeger-2.13.0-linux-amd64.tar.gz'."""
    return f"{package_name(version)}.tar.gz"


def checksums_name(version):
    """The release's checksum file over all its archives: 'jaeger-2.13.0.sha256sum.txt'."""
    return f"jaeger-{version}.sha256sum.txt"


def module_tag(version):
    """The v1 tag of the Go module that a Jaeger v2 release was cut from: '2.13.0' -> 'v1.76.0'."""
    try:
        return MODULE_TAGS[version.lstrip("v")]
    except KeyError:
        raise ValueError(f"Jaeger {version}: no known Go module tag (known: {', '.join(MODULE_TAGS)})") from None


# ---------------------------------------------------------------------------------------------
# Checksum files: `shasum -b -a 256` lines, "<64 hex digits> *<file name>", sorted by file name.

def checksum_line(digest, name):
    """One line in the release's checksum format (binary-mode marker '*' before the name)."""
    return f"{digest} *{name}\n"


def parse_checksums(text):
    """{file name: hex digest} from a sha256sum/shasum file (binary '*' or text ' ' marker)."""
    sums = {}
    for line in text.splitlines():
        match = re.fullmatch(r"([0-9a-fA-F]{64}) [ *](.+)", line.strip())
        if match:
            sums[match.group(2)] = match.group(1).lower()
    return sums


def write_checksums(path, files, prefix=""):
    """Write a checksum file over files (paths), named prefix + base name, sorted by name."""
    names = {prefix + Path(file).name: file for file in files}
    Path(path).write_text("".join(checksum_line(sha256(names[name]), name) for name in sorted(names)))


def verify(tarball, checksums):
    """True when the checksum file lists tarball with the digest tarball has."""
    wanted = parse_checksums(Path(checksums).read_text()).get(Path(tarball).name)
    return wanted is not None and wanted == sha256(tarball)


# ---------------------------------------------------------------------------------------------
# The archive

def archive(version=DEFAULT_VERSION):
    """(tar.gz, sha256sum.txt) of Jaeger `version`, official if reachable, else built; cached.

    The archive holds jaeger-<version>-linux-amd64/{example-hotrod,jaeger}, like the release.
    A cached pair is used again when the checksum file still matches the archive.
    """
    version = version.lstrip("v")
    folder = cache_root("jaeger") / version
    tarball, checksums = folder / archive_name(version), folder / checksums_name(version)
    with locked(folder):
        if tarball.exists() and checksums.exists() and verify(tarball, checksums):
            return tarball, checksums
        if download_official(version, folder):
            _record(folder, {"source": "official", "url": RELEASE_URL.format(version=version, name=tarball.name)})
            return tarball, checksums
        programs, info = build(version)
        pack(version, programs, tarball, mtime=info["commit_time"])
        write_checksums(checksums, [tarball])
        # The release also publishes a checksum file over the programs inside each archive.
        write_checksums(folder / f"{package_name(version)}.sha256sum.txt", programs.values(),
                        prefix=f"{package_name(version)}/")
        shutil.rmtree(folder / "stage", ignore_errors=True)
        _record(folder, info)
    return tarball, checksums


def _record(folder, info):
    """Keep where the archive came from (and how long a build took) beside it."""
    (folder / "provenance.json").write_text(json.dumps(info, indent=2, sort_keys=True) + "\n")


def download_official(version, folder, timeout=5):
    """Fetch the official archive and checksum file into folder; True when both arrive and match.

    One short attempt: on a network failure it returns False (the caller builds instead). A
    download that arrives but does not match its checksum file is an error, never used.
    """
    tarball, checksums = folder / archive_name(version), folder / checksums_name(version)
    try:
        for path in (checksums, tarball):
            url = RELEASE_URL.format(version=version, name=path.name)
            with urllib.request.urlopen(url, timeout=timeout) as response, \
                    open(path.with_suffix(path.suffix + ".part"), "wb") as out:
                shutil.copyfileobj(response, out)
    except OSError as error:  # URLError, timeouts, HTTP errors (a missing asset) are all OSErrors
        print(f"official release not reachable ({error}); building from {MODULE}", file=sys.stderr)
        for path in (checksums, tarball):
            path.with_suffix(path.suffix + ".part").unlink(missing_ok=True)
        return False
    part = tarball.with_suffix(tarball.suffix + ".part")
    sums = checksums.with_suffix(checksums.suffix + ".part")
    if not verify(part, sums):
        raise RuntimeError(f"{tarball.name} from the official release does not match {checksums.name}")
    sums.rename(checksums)
    part.rename(tarball)
    return True


def _go(*args, cwd, env):
    """Run the go command, its output on stderr."""
    subprocess.run(["go", *args], cwd=cwd, env=env, check=True, stdout=sys.stderr)


def _module_facts(tag, env):
    """(commit time, replace lines) of the Jaeger module at tag, from the Go module proxy."""
    out = subprocess.run(["go", "mod", "download", "-json", f"{MODULE}@{tag}"], env=env, check=True,
                         capture_output=True, text=True).stdout
    download = json.loads(out)
    commit_time = json.loads(Path(download["Info"]).read_text())["Time"]
    replaces, in_block = [], False
    for line in Path(download["GoMod"]).read_text().splitlines():
        line = line.split("//", 1)[0].strip()
        if line.startswith("replace ("):
            in_block = True
        elif in_block and line == ")":
            in_block = False
        elif line.startswith("replace ") or (in_block and "=>" in line):
            old, new = (side.split() for side in line.removeprefix("replace ").split("=>", 1))
            if len(new) == 2:  # a module at a version; a local folder cannot be used from here
                replaces.append(("@".join(old), "@".join(new)))
    return commit_time, replaces


def build(version):
    """Build the programs of Jaeger `version` from its Go module; ({name: path}, provenance).

    `go install pkg@version` refuses modules with replace lines, so a small tools module in the
    cache requires Jaeger at its v1 tag, repeats Jaeger's own replace lines, and `go build`s the
    packages from there: static (CGO_ENABLED=0), -trimpath, version stamped like the release's.
    Built without the UI assets: the web UI is a placeholder page, the APIs are real.
    """
    tag = module_tag(version)
    folder = cache_root("jaeger") / version
    tools = folder / "build"
    stage = folder / "stage" / package_name(version)
    shutil.rmtree(folder / "stage", ignore_errors=True)
    stage.mkdir(parents=True)
    env = dict(os.environ, CGO_ENABLED="0", GOOS="linux", GOARCH="amd64")
    started = time.monotonic()
    commit_time, replaces = _module_facts(tag, env)
    if not (tools / "go.mod").exists():
        tools.mkdir(parents=True, exist_ok=True)
        _go("mod", "init", "kubetrace.invalid/jaeger-build", cwd=tools, env=env)
    for old, new in replaces:
        _go("mod", "edit", f"-replace={old}={new}", cwd=tools, env=env)
    _go("get", "-tool", *(f"{package}@{tag}" for package in PROGRAMS.values()), cwd=tools, env=env)
    fetched = time.monotonic()
    stamp = " ".join(f"-X {MODULE}/internal/version.{name}={value}"
                     for name, value in (("latestVersion", f"v{version}"), ("date", commit_time)))
    for name, package in PROGRAMS.items():
        _go("build", "-trimpath", "-ldflags", stamp, "-o", str(stage / name), package, cwd=tools, env=env)
    done = time.monotonic()
    reported = json.loads(subprocess.run([str(stage / "jaeger"), "version"], capture_output=True,
                                         text=True, check=True).stdout)
    if reported.get("gitVersion") != f"v{version}":
        raise RuntimeError(f"built jaeger reports {reported}, expected gitVersion v{version}")
    go_version = subprocess.run(["go", "env", "GOVERSION"], capture_output=True, text=True,
                                check=True).stdout.strip()
    info = {
        "source": "built", "module": f"{MODULE}@{tag}", "commit_time": commit_time, "go": go_version,
        "replaces": [f"{old} => {new}" for old, new in replaces],
        "fetch_seconds": round(fetched - started, 1), "compile_seconds": round(done - fetched, 1),
        "build_seconds": round(done - started, 1),
        "built_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    print(f"built jaeger {version} ({MODULE}@{tag}) in {info['build_seconds']:.0f} s "
          f"(fetch {info['fetch_seconds']:.0f} s, compile {info['compile_seconds']:.0f} s)", file=sys.stderr)
    return {name: stage / name for name in PROGRAMS}, info


def pack(version, programs, tarball, mtime):
    """Write the release-shaped tar.gz: one top folder, the programs in it, byte-for-byte repeatable.

    Entries sorted by name, owner root (0/0), every mtime the module's commit time (RFC 3339 or
    seconds), gzip level 6 (tar -z's) with a header that holds no name or time.
    """
    if isinstance(mtime, str):
        mtime = int(datetime.fromisoformat(mtime.replace("Z", "+00:00")).timestamp())
    top = package_name(version)

    def entry(name, kind, mode, size=0):
        info = tarfile.TarInfo(name)
        info.type, info.mode, info.size, info.mtime = kind, mode, size, mtime
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        return info

    part = Path(tarball).with_suffix(".part")
    with open(part, "wb") as raw, \
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=6, mtime=0) as compressed, \
            tarfile.open(fileobj=compressed, mode="w", format=tarfile.GNU_FORMAT) as tar:
        tar.addfile(entry(f"{top}/", tarfile.DIRTYPE, 0o755))
        for name in sorted(programs):
            path = Path(programs[name])
            with open(path, "rb") as handle:
                tar.addfile(entry(f"{top}/{name}", tarfile.REGTYPE, 0o755, path.stat().st_size), handle)
    part.rename(tarball)
    return Path(tarball)


def binary(version=DEFAULT_VERSION):
    """The `jaeger` program of `version`, unpacked from its archive into the cache."""
    tarball, checksums = archive(version)
    digest = parse_checksums(checksums.read_text())[tarball.name]
    return unpacked(tarball, digest, Path(package_name(version.lstrip("v"))) / "jaeger")


# ---------------------------------------------------------------------------------------------
# Running it

def _port_free(port):
    """True when nothing listens on 127.0.0.1:port.

    SO_REUSEADDR, as Go's listeners set it: a connection of a previous run in TIME_WAIT does not count.
    """
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports():
    """{role: port}: Jaeger's default ports when all are free on 127.0.0.1, else a random free set."""
    if all(_port_free(port) for port in DEFAULT_PORTS.values()):
        return dict(DEFAULT_PORTS)
    rng = random.Random()
    while True:
        base = rng.randrange(20000, 60000 - 20000)
        # Keep the defaults' last digits, so a port's role stays recognisable: 4317 -> base+4317.
        ports = {role: base + port % 20000 for role, port in DEFAULT_PORTS.items()}
        if all(_port_free(port) for port in ports.values()):
            return ports


def config(ports, max_traces=10000):
    """A Jaeger v2 YAML config: OTLP in, memory store, query API and health check, all on loopback.

    Every listener is bound to 127.0.0.1. The collector's own metrics server is turned off, so it
    claims no further port, and so is jaeger_query's self-tracing (on by default in v2: it sends
    its own spans to localhost:4317 whatever the receiver's port, and waits 10 s at shutdown for
    an export that cannot succeed once the receiver has stopped).
    """
    return f"""\
service:
  extensions: [jaeger_storage, jaeger_query, healthcheckv2]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: info

extensions:
  healthcheckv2:
    use_v2: true
    http:
      endpoint: 127.0.0.1:{ports['health']}
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: {max_traces}
  jaeger_query:
    storage:
      traces: memstore
    enable_tracing: false
    http:
      endpoint: 127.0.0.1:{ports['query_http']}
    grpc:
      endpoint: 127.0.0.1:{ports['query_grpc']}

receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:{ports['otlp_grpc']}
      http:
        endpoint: 127.0.0.1:{ports['otlp_http']}

processors:
  batch:
    timeout: 200ms

exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
"""


@contextlib.contextmanager
def running(program, ports=None, timeout=30):
    """Start program (a jaeger v2) with config(ports) in a temporary folder; yield the ports; stop it.

    Ready when GET http://127.0.0.1:<health>/status answers 200. Stopped with SIGTERM, killed only
    if it does not exit within timeout.
    """
    ports = ports or free_ports()
    with tempfile.TemporaryDirectory(prefix="kubetrace-jaeger-") as tmp:
        path = Path(tmp) / "config.yaml"
        path.write_text(config(ports))
        log_path = Path(tmp) / "jaeger.log"

        def healthy():
            with contextlib.suppress(OSError):
                return http("GET", f"http://127.0.0.1:{ports['health']}/status", timeout=1)[0] == 200
            return False

        with daemon([str(program), "--config", str(path)], log_path, healthy, "jaeger", timeout,
                    cwd=tmp) as process:
            yield ports
        if process.returncode != 0:
            print(f"jaeger exited with {process.returncode}:\n{log_path.read_text()}", file=sys.stderr)


def otlp_trace(service, trace_id, span_id, start_ns, end_ns, name="kubetrace-probe-span"):
    """One span as an OTLP/HTTP JSON ExportTraceServiceRequest (ids in hex, times as strings)."""
    return {"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]},
        "scopeSpans": [{
            "scope": {"name": "kubetrace.lab"},
            "spans": [{
                "traceId": trace_id, "spanId": span_id, "name": name, "kind": 2,
                "startTimeUnixNano": str(start_ns), "endTimeUnixNano": str(end_ns),
                "attributes": [{"key": "kubetrace.probe", "value": {"boolValue": True}}],
            }],
        }],
    }]}


def _rfc3339(moment):
    """A datetime as RFC 3339 in UTC, to the microsecond: 2025-12-03T16:07:08.123456Z."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _shape(value):
    """The JSON shape of value: keys kept, lists cut to their first item, scalars by type name."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return type(value).__name__


def smoke(program, service="kubetrace-probe", timeout=30):
    """Start program, send one OTLP/HTTP trace, read it back; return what each endpoint answered.

    Raises AssertionError when the trace does not come back through /api/v3/traces, or the service
    is missing from /api/v3/services or /api/services.
    """
    trace_id, span_id = os.urandom(16).hex(), os.urandom(8).hex()
    seen = {}
    with running(program, timeout=timeout) as ports:
        health, query = f"http://127.0.0.1:{ports['health']}", f"http://127.0.0.1:{ports['query_http']}"
        seen["ports"] = ports
        seen["GET /status"] = http("GET", f"{health}/status")
        seen["GET /status?verbose"] = http("GET", f"{health}/status?verbose")
        now = datetime.now(timezone.utc)
        start_ns = time.time_ns() - 5_000_000
        seen["POST /v1/traces"] = http("POST", f"http://127.0.0.1:{ports['otlp_http']}/v1/traces",
                                       otlp_trace(service, trace_id, span_id, start_ns, start_ns + 3_000_000))
        # query.num_traces is required in practice: without it 2.13 answers 500 "search depth must
        # be greater than 0 and less than max traces".
        window = (f"query.service_name={service}&query.start_time_min={_rfc3339(now - timedelta(minutes=5))}"
                  f"&query.start_time_max={_rfc3339(now + timedelta(minutes=5))}&query.num_traces=20")
        deadline = time.monotonic() + timeout
        while True:  # the batch processor and the store take a moment
            seen["GET /api/v3/services"] = http("GET", f"{query}/api/v3/services")
            seen["GET /api/v3/traces"] = http("GET", f"{query}/api/v3/traces?{window}")
            if seen["GET /api/v3/traces"][0] == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        seen["GET /api/v3/traces/{trace_id}"] = http("GET", f"{query}/api/v3/traces/{trace_id}")
        seen["GET /api/services"] = http("GET", f"{query}/api/services")
        seen["GET /api/traces?service="] = http("GET", f"{query}/api/traces?service={service}&lookback=1h")
        seen["GET /api/traces/{trace_id}"] = http("GET", f"{query}/api/traces/{trace_id}")
    _expect(seen, "GET /status", lambda body: body.get("healthy") is True)
    _expect(seen, "POST /v1/traces", lambda body: True)
    _expect(seen, "GET /api/v3/services", lambda body: service in body.get("services", []))
    _expect(seen, "GET /api/v3/traces", lambda body: trace_id in [
        span["traceId"] for resource in body["result"]["resourceSpans"]
        for scope in resource["scopeSpans"] for span in scope["spans"]])
    _expect(seen, "GET /api/services", lambda body: service in (body.get("data") or []))
    return seen


def _expect(seen, request, check):
    """Raise AssertionError unless seen[request] is a 200 whose JSON body passes check."""
    status, body = seen[request]
    if status != 200 or not isinstance(body, dict) or not check(body):
        raise AssertionError(f"{request}: unexpected answer {status} {json.dumps(body)[:2000]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (("archive", "print the archive and checksum file"),
                       ("binary", "print the unpacked jaeger program"),
                       ("smoke", "start it, send a trace, query it back")):
        command = commands.add_parser(name, help=text)
        command.add_argument("--version", default=DEFAULT_VERSION)
    commands.choices["smoke"].add_argument("--binary", help="a jaeger program (default: from the archive)")
    commands.choices["smoke"].add_argument("--shapes", action="store_true",
                                           help="print the JSON shapes instead of the bodies")
    args = parser.parse_args()
    if args.command == "archive":
        for path in archive(args.version):
            print(path)
    elif args.command == "binary":
        print(binary(args.version))
    else:
        seen = smoke(args.binary or binary(args.version))
        if args.shapes:
            seen = {key: value if key == "ports" else [value[0], _shape(value[1])] for key, value in seen.items()}
        json.dump(seen, sys.stdout, indent=2)
        print()
        print("smoke: ok", file=sys.stderr)


if __name__ == "__main__":
    main()
