"""Real Kubernetes control plane programs (and etcd) for the lab and the tests, cached between runs.

kubernetes(version, programs)  kube-apiserver, kubelet, kubeadm, kube-controller-manager, kube-scheduler
                               and kubectl of release `version` (v1.37.2): the
                               official release download when reachable (checked against its
                               .sha256), otherwise built from the Go module k8s.io/kubernetes.
etcd(version)                  etcd and etcdctl (v3.6.16): the official release archive when
                               reachable (checked against SHA256SUMS), otherwise built from
                               go.etcd.io/etcd/server/v3 and go.etcd.io/etcd/etcdctl/v3.
smoke(version)                 etcd, Jaeger and kube-apiserver on 127.0.0.1 with tracing on, a few
                               API calls, then what Jaeger received: services, spans, and whether
                               the apiserver's spans and etcd's spans share one trace.

Both return a folder holding the programs. The cache is ${KUBETRACE_CACHE:-~/.cache/kubetrace}/
kubernetes/<version>/bin and .../etcd/<version>/bin, with provenance.json beside bin (where each
program came from, build times); delete a version's folder to fetch or build it anew.

    python3 tests/lab/kubernetes.py kubernetes v1.37.2 [--program kube-apiserver ...]
    python3 tests/lab/kubernetes.py etcd [v3.6.16]
    python3 tests/lab/kubernetes.py smoke v1.37.2 [--etcd v3.6.16] [--jaeger 2.13.0] [--keep DIR]
                                                   [--etcd-sampling-rate 1000000]

Python 3.11 standard library; `go` to build, `openssl` for the smoke's service account key. The
smoke binds 127.0.0.1 ports only and writes only into its work folder (and the caches).
"""

import argparse
import contextlib
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jaeger
from cache import cache_root, locked, sha256
from daemons import daemon, http

K8S_MODULE = "k8s.io/kubernetes"
# Every program the lab runs, in the order they were added: the control plane kubeadm lays out as static
# pods, the node agent, kubeadm itself and the client the seed's command needs.
K8S_PROGRAMS = ("kube-apiserver", "kubelet", "kubeadm", "kube-controller-manager", "kube-scheduler", "kubectl")
K8S_RELEASE_URL = "https://dl.k8s.io/release/{version}/bin/linux/amd64/{name}"
# What the release build passes (hack/lib/golang.sh in the module): these tags, -s -w, -trimpath.
K8S_BUILD_TAGS = "selinux,notest,grpcnotrace"
# The version stamp the release build sets (hack/lib/version.sh), in both packages.
K8S_VERSION_PACKAGES = ("k8s.io/client-go/pkg/version", "k8s.io/component-base/version")

ETCD_SERVER_MODULE = "go.etcd.io/etcd/server/v3"  # its root package is the etcd program (main.go)
ETCD_CTL_MODULE = "go.etcd.io/etcd/etcdctl/v3"    # likewise etcdctl
ETCD_PROGRAMS = {"etcd": ETCD_SERVER_MODULE, "etcdctl": ETCD_CTL_MODULE}
# The newest 3.6 release the Go module proxy served when this was written (`go list -m -versions`).
ETCD_VERSION = "v3.6.16"
ETCD_RELEASE_URL = "https://github.com/etcd-io/etcd/releases/download/{version}/{name}"

DOWNLOAD_TIMEOUT = 5  # seconds: one short attempt at each official download


# ---------------------------------------------------------------------------------------------
# Cache

def _record(folder, entries):
    """Merge {program: where it came from} into folder/provenance.json."""
    path = folder / "provenance.json"
    known = json.loads(path.read_text()) if path.exists() else {}
    known.update(entries)
    path.write_text(json.dumps(known, indent=2, sort_keys=True) + "\n")


def _install(scratch_bin, bin_folder):
    """Move the programs in scratch_bin into bin_folder: the whole folder by one rename when it is
    new, else program by program (each a rename within the same file system)."""
    for program in scratch_bin.iterdir():
        program.chmod(0o755)
    if not bin_folder.exists():
        scratch_bin.chmod(0o755)
        scratch_bin.rename(bin_folder)
        return
    for program in scratch_bin.iterdir():
        program.rename(bin_folder / program.name)


def _fetch(url, path, timeout=DOWNLOAD_TIMEOUT):
    """Download url into path (OSError when it cannot be fetched)."""
    with urllib.request.urlopen(url, timeout=timeout) as response, open(path, "wb") as out:
        shutil.copyfileobj(response, out)


def _go(*args, cwd, env, capture=False):
    """Run the go command with its output on stderr, or return its stdout when capture is set."""
    if capture:
        return subprocess.run(["go", *args], cwd=cwd, env=env, check=True, capture_output=True,
                              text=True).stdout
    subprocess.run(["go", *args], cwd=cwd, env=env, check=True, stdout=sys.stderr)
    return None


def _go_env():
    """The environment builds run in: static linux/amd64 programs, this host's Go toolchain only."""
    return dict(os.environ, CGO_ENABLED="0", GOOS="linux", GOARCH="amd64", GOTOOLCHAIN="local")


def _module_download(module, version, env):
    """`go mod download -json module@version`: the parsed answer plus the commit time from .info."""
    download = json.loads(_go("mod", "download", "-json", f"{module}@{version}", cwd=None, env=env,
                              capture=True))
    if download.get("Error"):
        raise RuntimeError(f"{module}@{version}: {download['Error']}")
    download["Time"] = json.loads(Path(download["Info"]).read_text())["Time"]
    return download


def _go_directives(gomod_text):
    """The `go` and `godebug` lines of a go.mod, to repeat in a scratch module that builds it."""
    return [line for line in gomod_text.splitlines() if re.match(r"(go \d|godebug [a-z])", line)]


# ---------------------------------------------------------------------------------------------
# Kubernetes

def _parse_k8s_version(version):
    """(minor, patch) of 'v1.37.2'; ValueError for anything else."""
    match = re.fullmatch(r"v1\.(\d+)\.(\d+)", version)
    if not match:
        raise ValueError(f"Kubernetes version must look like v1.37.2, got {version!r}")
    return int(match.group(1)), int(match.group(2))


def download_kubernetes(version, programs, out, timeout=DOWNLOAD_TIMEOUT):
    """Fetch the official release programs into out/; True when all arrived and match their .sha256.

    One short attempt: the first network failure returns False (the caller builds instead). A
    program that arrives but does not match its published sha256 is an error, never used.
    """
    out.mkdir(parents=True, exist_ok=True)
    try:
        for program in programs:
            sums = out / f"{program}.sha256"
            _fetch(K8S_RELEASE_URL.format(version=version, name=sums.name), sums, timeout)
            _fetch(K8S_RELEASE_URL.format(version=version, name=program), out / program, timeout)
            expected = sums.read_text().split()[0].lower()
            sums.unlink()
            if sha256(out / program) != expected:
                raise RuntimeError(f"{program} {version} from dl.k8s.io does not match its published sha256")
    except OSError as error:  # URLError, timeouts and HTTP errors are all OSErrors
        print(f"official Kubernetes release not reachable ({error}); building from {K8S_MODULE}",
              file=sys.stderr)
        for path in out.iterdir():
            path.unlink()
        return False
    return True


def _staging_modules(gomod_text):
    """The k8s.io staging modules k8s.io/kubernetes requires and replaces with ./staging/ folders.

    replace lines only count in the main module, so a module that builds k8s.io/kubernetes has to
    point each of these at its published version itself.
    """
    replaced, required, block = set(), set(), None
    for raw in gomod_text.splitlines():
        line = raw.split("//", 1)[0].strip()
        if line in ("replace (", "require ("):
            block = line.split()[0]
            continue
        if line == ")":
            block = None
            continue
        words = line.split()
        if block is None and words[:1] in (["replace"], ["require"]):
            block, words = words[0], words[1:]
            single = True
        else:
            single = False
        if block == "replace" and len(words) >= 3 and words[1] == "=>" and words[2].startswith("./staging/"):
            replaced.add(words[0])
        elif block == "require" and words and words[0].startswith("k8s.io/"):
            required.add(words[0])
        if single:
            block = None
    return sorted(replaced & required)


def build_kubernetes(version, programs, out):
    """Build programs of Kubernetes `version` from the Go module into out/; returns provenance.

    k8s.io/kubernetes points its staging modules (k8s.io/api, k8s.io/apiserver, ...) at folders
    inside its own repository, which a module download does not have. A scratch module in the
    cache (kubernetes/<version>/build) requires k8s.io/kubernetes and replaces every staging
    module with its published v0.MINOR.PATCH; `go build` runs from there, static, with the
    release's build tags and version stamp, so `--version` prints `Kubernetes <version>`.
    """
    minor, patch = _parse_k8s_version(version)
    staging_version = f"v0.{minor}.{patch}"
    env = _go_env()
    tools = cache_root("kubernetes") / version / "build"
    tools.mkdir(parents=True, exist_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    download = _module_download(K8S_MODULE, version, env)
    gomod_text = Path(download["GoMod"]).read_text()
    staging = _staging_modules(gomod_text)
    if not staging:
        raise RuntimeError(f"found no staging modules in {K8S_MODULE}@{version}'s go.mod")
    if not (tools / "go.mod").exists():
        (tools / "go.mod").write_text(
            "module kubetrace.invalid/kubernetes-build\n\n"
            + "\n".join(_go_directives(gomod_text)) + "\n\n"
            + f"require {K8S_MODULE} {version}\n\n"
            + "replace (\n" + "".join(f"\t{module} => {module} {staging_version}\n" for module in staging)
            + ")\n")
    # Always all of them, so the module graph (and so the build info inside each program) does not
    # depend on which programs were asked for first. The go.mod of a build folder made when the list was
    # shorter gains the new packages' requirements here; the versions MVS picks stay the same.
    _go("get", *(f"{K8S_MODULE}/cmd/{program}@{version}" for program in K8S_PROGRAMS), cwd=tools, env=env)
    fetched = time.monotonic()
    stamp = {"gitVersion": version, "gitMajor": "1", "gitMinor": str(minor), "gitTreeState": "clean",
             "buildDate": download["Time"]}
    ldflags = " ".join(["-s", "-w"] + [f"-X {package}.{key}={value}" for package in K8S_VERSION_PACKAGES
                                       for key, value in stamp.items()])
    go_version = _go("env", "GOVERSION", cwd=tools, env=env, capture=True).strip()
    info = {}
    for program in programs:
        begun = time.monotonic()
        _go("build", "-trimpath", "-tags", K8S_BUILD_TAGS, "-ldflags", ldflags, "-o", str(out / program),
            f"{K8S_MODULE}/cmd/{program}", cwd=tools, env=env)
        seconds = round(time.monotonic() - begun, 1)
        print(f"built {program} {version} in {seconds:.0f} s", file=sys.stderr)
        info[program] = {"source": "built", "module": f"{K8S_MODULE}@{version}", "go": go_version,
                         "staging_modules_at": staging_version, "tags": K8S_BUILD_TAGS,
                         "fetch_seconds": round(fetched - started, 1), "compile_seconds": seconds,
                         "built_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
    for program in programs:
        reported = k8s_program_version(out / program)
        if reported != version:
            raise RuntimeError(f"built {program} reports {reported!r}, expected {version}")
    return info


def k8s_program_version(path):
    """The version a Kubernetes program reports: 'v1.37.2' (kubeadm through `kubeadm version`)."""
    if Path(path).name == "kubeadm":
        argv = [str(path), "version", "-o", "short"]
    elif Path(path).name == "kubectl":
        argv = [str(path), "version", "--client", "-o", "json"]
        out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
        return json.loads(out)["clientVersion"]["gitVersion"]
    else:
        argv = [str(path), "--version"]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    return out.split()[-1]


def kubernetes(version, programs=K8S_PROGRAMS):
    """A folder holding `programs` of Kubernetes `version` (official download, else built); cached.

    Programs missing from the cached folder are fetched or built into a temporary folder beside it
    and moved in at the end, so an interrupted run never leaves a half-written program behind.
    """
    _parse_k8s_version(version)
    unknown = set(programs) - set(K8S_PROGRAMS)
    if unknown:
        raise ValueError(f"unknown programs {sorted(unknown)}: known are {', '.join(K8S_PROGRAMS)}")
    folder = cache_root("kubernetes") / version
    bin_folder = folder / "bin"
    with locked(folder):
        missing = [program for program in programs if not (bin_folder / program).exists()]
        if not missing:
            return bin_folder
        scratch = Path(tempfile.mkdtemp(prefix=".fetch-", dir=folder))
        try:
            if download_kubernetes(version, missing, scratch / "bin"):
                info = {program: {"source": "official", "url": K8S_RELEASE_URL.format(version=version, name=program)}
                        for program in missing}
            else:
                info = build_kubernetes(version, missing, scratch / "bin")
            _install(scratch / "bin", bin_folder)
            _record(folder, info)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return bin_folder


# ---------------------------------------------------------------------------------------------
# etcd

def download_etcd(version, out, timeout=DOWNLOAD_TIMEOUT):
    """Fetch the official etcd-<version>-linux-amd64.tar.gz; unpack etcd and etcdctl into out/.

    One short attempt; False when it cannot be fetched. An archive that does not match the
    release's SHA256SUMS is an error, never used.
    """
    name = f"etcd-{version}-linux-amd64"
    out.mkdir(parents=True, exist_ok=True)
    tarball, sums = out.parent / f"{name}.tar.gz", out.parent / "SHA256SUMS"
    try:
        _fetch(ETCD_RELEASE_URL.format(version=version, name=sums.name), sums, timeout)
        _fetch(ETCD_RELEASE_URL.format(version=version, name=tarball.name), tarball, timeout)
    except OSError as error:
        print(f"official etcd release not reachable ({error}); building from {ETCD_SERVER_MODULE}",
              file=sys.stderr)
        return False
    expected = {}
    for line in sums.read_text().splitlines():  # "<hex>  <file name>", one a line
        if len(line.split()) == 2:
            digest, file_name = line.split()
            expected[file_name.lstrip("*")] = digest.lower()
    if expected.get(tarball.name) != sha256(tarball):
        raise RuntimeError(f"{tarball.name} does not match the release's SHA256SUMS")
    with tarfile.open(tarball) as archive:
        for program in ETCD_PROGRAMS:
            member = archive.extractfile(f"{name}/{program}")
            with open(out / program, "wb") as target:
                shutil.copyfileobj(member, target)
    return True


def build_etcd(version, out):
    """Build etcd and etcdctl `version` from their Go modules into out/; returns provenance.

    Both modules' go.mod point their sibling modules (api, client, pkg) at ../ folders, so
    `go install pkg@version` refuses them: a scratch module in the cache (etcd/<version>/build)
    requires both and builds from there, static and -trimpath like the release (whose build sets
    only GitSHA, which the module proxy does not know: `--version` says "Not provided").
    """
    env = _go_env()
    tools = cache_root("etcd") / version / "build"
    tools.mkdir(parents=True, exist_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    download = _module_download(ETCD_SERVER_MODULE, version, env)
    if not (tools / "go.mod").exists():
        directives = [line for line in _go_directives(Path(download["GoMod"]).read_text())
                      if line.startswith("go ")]
        (tools / "go.mod").write_text("module kubetrace.invalid/etcd-build\n\n" + "\n".join(directives) + "\n")
    _go("get", *(f"{module}@{version}" for module in ETCD_PROGRAMS.values()), cwd=tools, env=env)
    fetched = time.monotonic()
    go_version = _go("env", "GOVERSION", cwd=tools, env=env, capture=True).strip()
    info = {}
    for program, package in ETCD_PROGRAMS.items():
        begun = time.monotonic()
        _go("build", "-trimpath", "-ldflags", "-s -w", "-o", str(out / program), package, cwd=tools, env=env)
        seconds = round(time.monotonic() - begun, 1)
        print(f"built {program} {version} in {seconds:.0f} s", file=sys.stderr)
        info[program] = {"source": "built", "module": f"{package}@{version}", "go": go_version,
                         "fetch_seconds": round(fetched - started, 1), "compile_seconds": seconds,
                         "built_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
    reported = etcd_version(out / "etcd")
    if reported != version.lstrip("v"):
        raise RuntimeError(f"built etcd reports {reported!r}, expected {version}")
    return info


def etcd_version(path):
    """The version an etcd program reports: '3.6.16'."""
    out = subprocess.run([str(path), "--version"], capture_output=True, text=True, check=True).stdout
    return re.search(r"etcd Version: (\S+)", out).group(1)


def etcd(version=ETCD_VERSION):
    """A folder holding etcd and etcdctl `version` (official download, else built); cached."""
    if not re.fullmatch(r"v3\.\d+\.\d+", version):
        raise ValueError(f"etcd version must look like v3.6.16, got {version!r}")
    folder = cache_root("etcd") / version
    bin_folder = folder / "bin"
    with locked(folder):
        if all((bin_folder / program).exists() for program in ETCD_PROGRAMS):
            return bin_folder
        shutil.rmtree(bin_folder, ignore_errors=True)
        scratch = Path(tempfile.mkdtemp(prefix=".fetch-", dir=folder))
        try:
            if download_etcd(version, scratch / "bin"):
                url = ETCD_RELEASE_URL.format(version=version, name=f"etcd-{version}-linux-amd64.tar.gz")
                info = {program: {"source": "official", "url": url} for program in ETCD_PROGRAMS}
            else:
                info = build_etcd(version, scratch / "bin")
            _install(scratch / "bin", bin_folder)
            _record(folder, info)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return bin_folder


# ---------------------------------------------------------------------------------------------
# Running them on loopback

def free_port():
    """A TCP port nothing listens on at 127.0.0.1 right now (the kernel's pick)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def etcd_flags(data_dir, client_port, peer_port, otlp=None, rate=1_000_000, name="kubetrace-etcd"):
    """etcd 3.6 flags for a one-member cluster on 127.0.0.1; with otlp ("host:port") tracing on.

    rate: --distributed-tracing-sampling-rate, per million, for requests that arrive without a
    sampled trace context (etcd samples ParentBased: a sampled parent is always followed).
    """
    client, peer = f"http://127.0.0.1:{client_port}", f"http://127.0.0.1:{peer_port}"
    flags = [f"--name={name}", f"--data-dir={data_dir}",
             f"--listen-client-urls={client}", f"--advertise-client-urls={client}",
             f"--listen-peer-urls={peer}", f"--initial-advertise-peer-urls={peer}",
             f"--initial-cluster={name}={peer}", "--initial-cluster-state=new"]
    if otlp:
        flags += ["--enable-distributed-tracing", f"--distributed-tracing-address={otlp}",
                  "--distributed-tracing-service-name=etcd", f"--distributed-tracing-instance-id={name}",
                  f"--distributed-tracing-sampling-rate={rate}"]
    return flags


@contextlib.contextmanager
def running_etcd(bin_folder, work, otlp=None, rate=1_000_000, timeout=30):
    """Start bin_folder/etcd with its data under work/; yield its client URL; stop it."""
    client_port, peer_port = free_port(), free_port()
    url = f"http://127.0.0.1:{client_port}"
    argv = [str(Path(bin_folder) / "etcd"),
            *etcd_flags(Path(work) / "etcd-data", client_port, peer_port, otlp, rate)]

    def healthy():
        with contextlib.suppress(OSError, ValueError):
            with urllib.request.urlopen(f"{url}/health", timeout=1) as response:
                return json.loads(response.read()).get("health") == "true"
        return False

    with daemon(argv, Path(work) / "etcd.log", healthy, "etcd", timeout):
        yield url


def tracing_config(version, otlp, rate=1_000_000):
    """The apiserver's TracingConfiguration for Kubernetes `version`, sending to otlp ("host:port").

    apiVersion apiserver.config.k8s.io/v1 from 1.34, v1beta1 1.27-1.33, v1alpha1 1.22-1.26.
    """
    minor, _patch = _parse_k8s_version(version)
    if minor < 22:
        raise ValueError(f"kube-apiserver {version} has no tracing (1.22+)")
    api = "v1" if minor >= 34 else "v1beta1" if minor >= 27 else "v1alpha1"
    return (f"apiVersion: apiserver.config.k8s.io/{api}\n"
            "kind: TracingConfiguration\n"
            f"endpoint: {otlp}\n"
            f"samplingRatePerMillion: {rate}\n")


def apiserver_flags(version, work, etcd_url, port, otlp=None):
    """kube-apiserver flags to run on 127.0.0.1 against etcd_url without kubeadm; writes its files.

    Under work/: a self-signed serving certificate (--cert-dir), a service account key pair
    (openssl, EC P-256: the private key signs, the public key verifies), a static token file with an admin token
    (group system:masters) and a viewer token (no groups), and the TracingConfiguration.
    """
    work = Path(work)
    key, public = work / "service-account.key", work / "service-account.pub"
    if not public.exists():
        subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-out", str(key)], check=True, capture_output=True)
        # --service-account-key-file reads public keys, or RSA/EC private keys in their own PEM
        # types; openssl writes PKCS#8 ("PRIVATE KEY"), so it gets the public half instead.
        subprocess.run(["openssl", "pkey", "-in", str(key), "-pubout", "-out", str(public)],
                       check=True, capture_output=True)
    tokens = {"admin": os.urandom(16).hex(), "viewer": os.urandom(16).hex()}
    (work / "tokens.csv").write_text(
        f'{tokens["admin"]},kubetrace-admin,kubetrace-admin,"system:masters"\n'
        f'{tokens["viewer"]},kubetrace-viewer,kubetrace-viewer\n')
    flags = [
        "--bind-address=127.0.0.1", f"--secure-port={port}", "--advertise-address=127.0.0.1",
        f"--cert-dir={work / 'apiserver-certs'}",
        f"--etcd-servers={etcd_url}",
        "--service-cluster-ip-range=10.96.0.0/16",
        f"--service-account-key-file={public}", f"--service-account-signing-key-file={key}",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        f"--token-auth-file={work / 'tokens.csv'}",
        "--authorization-mode=RBAC",
        # Without this it refuses to start: "cannot use public IP 127.0.0.1 with endpoint
        # reconciler ... may not be in the loopback range". Nothing on loopback needs the
        # `kubernetes` service's endpoints.
        "--endpoint-reconciler-type=none",
    ]
    if otlp:
        (work / "tracing.yaml").write_text(tracing_config(version, otlp))
        flags.append(f"--tracing-config-file={work / 'tracing.yaml'}")
    return flags, tokens


class Client:
    """A few HTTPS calls to a kube-apiserver on 127.0.0.1, trusting its self-signed certificate."""

    def __init__(self, port, cert, token):
        self.base = f"https://127.0.0.1:{port}"
        self.token = token
        self.context = ssl.create_default_context(cafile=str(cert))

    def call(self, method, path, body=None, traceparent=None, token=None, timeout=10):
        """(status, parsed JSON or text) of one request; HTTP errors are returned, not raised."""
        headers = {"Authorization": f"Bearer {token or self.token}", "Accept": "application/json"}
        if traceparent:
            headers["traceparent"] = traceparent
        return http(method, self.base + path, body, headers, timeout, self.context)


@contextlib.contextmanager
def running_apiserver(bin_folder, version, work, etcd_url, otlp=None, timeout=90):
    """Start bin_folder/kube-apiserver on 127.0.0.1; yield (Client with the admin token, tokens, argv).

    Ready when GET /readyz answers 200. The serving certificate appears in --cert-dir a moment
    after start; the client trusts it (it holds its own CA).
    """
    work = Path(work)
    port = free_port()
    flags, tokens = apiserver_flags(version, work, etcd_url, port, otlp)
    argv = [str(Path(bin_folder) / "kube-apiserver"), *flags]
    cert = work / "apiserver-certs" / "apiserver.crt"
    client = {}

    def ready():
        if not cert.exists():
            return False
        client.setdefault("client", Client(port, cert, tokens["admin"]))
        with contextlib.suppress(OSError, ssl.SSLError):
            return client["client"].call("GET", "/readyz", timeout=2)[0] == 200
        return False

    with daemon(argv, work / "kube-apiserver.log", ready, "kube-apiserver", timeout):
        yield client["client"], tokens, argv


# ---------------------------------------------------------------------------------------------
# The smoke

def traceparent():
    """(trace id, W3C traceparent header) of a new sampled trace."""
    trace_id = os.urandom(16).hex()
    return trace_id, f"00-{trace_id}-{os.urandom(8).hex()}-01"


def spans_of(body):
    """Flatten a Jaeger /api/v3 answer into dicts: service, scope, name, kind, traceId, spanId,
    parentSpanId, start, links (the trace ids the span links to)."""
    spans = []
    for resource in (body.get("result") or {}).get("resourceSpans", []):
        attributes = {item["key"]: next(iter(item["value"].values()), None)
                      for item in resource.get("resource", {}).get("attributes", [])}
        for scope in resource.get("scopeSpans", []):
            for span in scope.get("spans", []):
                spans.append({"service": attributes.get("service.name"), "scope": scope.get("scope", {}).get("name"),
                              "name": span["name"], "kind": span.get("kind"), "traceId": span["traceId"],
                              "spanId": span["spanId"], "parentSpanId": span.get("parentSpanId", ""),
                              "start": int(span.get("startTimeUnixNano", 0)),
                              "links": [link.get("traceId") for link in span.get("links", [])]})
    return spans


KINDS = {1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}


def tree(spans):
    """Lines drawing one trace's spans as a tree: '  service: name (kind)', children indented."""
    by_id = {span["spanId"]: span for span in spans}
    children = {}
    for span in sorted(spans, key=lambda item: item["start"]):
        parent = span["parentSpanId"] if span["parentSpanId"] in by_id else None
        children.setdefault(parent, []).append(span)
    lines = []

    def walk(parent, depth):
        for span in children.get(parent, []):
            outside = " (parent outside this trace's stored spans)" if depth == 0 and span["parentSpanId"] else ""
            lines.append(f"{'  ' * depth}{span['service']}: {span['name']} ({KINDS.get(span['kind'], span['kind'])})"
                         + outside)
            walk(span["spanId"], depth + 1)

    walk(None, 0)
    return lines


def cross_links(spans):
    """The etcd spans whose parent is an apiserver span of the same trace: [(parent name, child name)]."""
    by_id = {span["spanId"]: span for span in spans}
    return [(by_id[span["parentSpanId"]]["name"], span["name"]) for span in spans
            if span["service"] == "etcd" and span["parentSpanId"] in by_id
            and by_id[span["parentSpanId"]]["service"] == "apiserver"]


def _query_jaeger(query, path):
    """GET a Jaeger query API path on 127.0.0.1; (status, body)."""
    return jaeger.http("GET", f"{query}{path}")


def smoke(version, etcd_version=ETCD_VERSION, jaeger_version=jaeger.DEFAULT_VERSION, keep=None,
          etcd_rate=1_000_000, timeout=60):
    """Run etcd + Jaeger + kube-apiserver `version` on loopback with tracing on; return what was seen.

    Calls made with the admin token (group system:masters, whose incoming traceparent the
    apiserver honours): create a namespace and a configmap, each with a traceparent of our own, then
    read the configmap without one. One call with the viewer token (no groups) and a traceparent.
    One `etcdctl put` straight to etcd (a client without tracing; etcd_rate decides whether etcd
    samples it).
    Then Jaeger is asked for its services, for the traces we started (by id) and for recent traces
    of "apiserver" and "etcd". keep: a folder to work in and leave behind (logs, config, and
    Jaeger's answer for each of our traces as trace-*.json) instead of a temporary one.
    """
    k8s_bin = kubernetes(version, ("kube-apiserver",))
    etcd_bin = etcd(etcd_version)
    jaeger_program = jaeger.binary(jaeger_version)
    seen = {"kubernetes": version, "etcd": etcd_version, "jaeger": jaeger_version}
    with contextlib.ExitStack() as stack:
        if keep:
            work = Path(keep)
            work.mkdir(parents=True, exist_ok=True)
        else:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="kubetrace-kubernetes-")))
        ports = stack.enter_context(jaeger.running(jaeger_program))
        otlp = f"127.0.0.1:{ports['otlp_grpc']}"
        query = f"http://127.0.0.1:{ports['query_http']}"
        began = datetime.now(timezone.utc)
        etcd_url = stack.enter_context(running_etcd(etcd_bin, work, otlp, etcd_rate))
        seen["etcd_sampling_rate"] = etcd_rate
        started = time.monotonic()
        client, tokens, argv = stack.enter_context(running_apiserver(k8s_bin, version, work, etcd_url, otlp))
        seen["apiserver_ready_seconds"] = round(time.monotonic() - started, 1)
        seen["apiserver_flags"] = [flag.replace(str(work), "<work>") for flag in argv[1:]]
        seen["tracing_config"] = (work / "tracing.yaml").read_text()

        ours = {}
        trace_id, header = traceparent()
        ours["create namespace"] = trace_id
        seen["POST namespace"] = client.call("POST", "/api/v1/namespaces", {
            "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kubetrace-smoke"}}, header)[0]
        trace_id, header = traceparent()
        ours["create configmap"] = trace_id
        seen["POST configmap"] = client.call("POST", "/api/v1/namespaces/kubetrace-smoke/configmaps", {
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kubetrace-smoke"},
            "data": {"hello": "tracing"}}, header)[0]
        seen["GET configmap"] = client.call("GET", "/api/v1/namespaces/kubetrace-smoke/configmaps/kubetrace-smoke")[0]
        trace_id, header = traceparent()
        ours["viewer GET (not trusted)"] = trace_id
        seen["viewer GET configmap"] = client.call(
            "GET", "/api/v1/namespaces/kubetrace-smoke/configmaps/kubetrace-smoke", None, header,
            token=tokens["viewer"])[0]
        seen["etcdctl put"] = subprocess.run(
            [str(etcd_bin / "etcdctl"), f"--endpoints={etcd_url}", "put", "/kubetrace-smoke", "hello"],
            capture_output=True, text=True, check=True).stdout.strip()

        # The batch exporters send every 5 s: poll until our first trace holds spans of both services.
        deadline = time.monotonic() + timeout
        while True:
            status, body = _query_jaeger(query, f"/api/v3/traces/{ours['create namespace']}")
            services = {span["service"] for span in spans_of(body)} if status == 200 else set()
            if {"apiserver", "etcd"} <= services or time.monotonic() > deadline:
                break
            time.sleep(1)
        time.sleep(6)  # one more export round, so the later calls' spans have arrived too

        seen["services"] = _query_jaeger(query, "/api/v3/services")[1].get("services", [])
        seen["traces"] = {}
        for what, trace_id in ours.items():
            status, body = _query_jaeger(query, f"/api/v3/traces/{trace_id}")
            spans = spans_of(body) if status == 200 else []
            if keep:  # the whole answer, attributes included, for a look by hand
                (work / f"trace-{what.split(' (')[0].replace(' ', '-')}.json").write_text(json.dumps(body, indent=1))
            seen["traces"][what] = {"trace_id": trace_id, "status": status, "spans": len(spans),
                                    "tree": tree(spans), "apiserver_to_etcd_links": cross_links(spans)}
        window = (f"query.start_time_min={jaeger._rfc3339(began - timedelta(minutes=1))}"
                  f"&query.start_time_max={jaeger._rfc3339(datetime.now(timezone.utc) + timedelta(minutes=1))}"
                  "&query.num_traces=5000")
        for service in ("apiserver", "etcd"):
            status, body = _query_jaeger(query, f"/api/v3/traces?query.service_name={service}&{window}")
            spans = spans_of(body) if status == 200 else []
            names = {}
            for span in spans:
                if span["service"] == service:
                    names[span["name"]] = names.get(span["name"], 0) + 1
            if service == "apiserver":  # the untrusted caller's traceparent: a link, not a parent
                seen["traces"]["viewer GET (not trusted)"]["linked_from"] = [
                    {"trace_id": span["traceId"], "span": span["name"], "parent": span["parentSpanId"] or None}
                    for span in spans if ours["viewer GET (not trusted)"] in span["links"]]
            seen[f"recent {service} traces"] = {
                "status": status, "traces": len({span["traceId"] for span in spans}),
                "span_names": dict(sorted(names.items(), key=lambda item: -item[1])),
                "traces_with_apiserver_to_etcd_links": len({
                    span["traceId"] for span in spans if cross_links([s for s in spans if s["traceId"] == span["traceId"]])}),
                "root_spans": sorted({span["name"] for span in spans if not span["parentSpanId"]}),
                "root_spans_of_this_service": sorted({span["name"] for span in spans
                                                      if not span["parentSpanId"] and span["service"] == service}),
                "scopes": sorted({span["scope"] for span in spans if span["service"] == service}),
            }
    return seen


def check(seen):
    """Raise AssertionError unless the smoke saw both services and apiserver -> etcd parent links."""
    problems = []
    for service in ("apiserver", "etcd"):
        if service not in seen["services"]:
            problems.append(f"no service {service!r} in Jaeger ({seen['services']})")
    for what in ("create namespace", "create configmap"):
        if not seen["traces"][what]["apiserver_to_etcd_links"]:
            problems.append(f"{what}: no etcd span whose parent is an apiserver span in trace "
                            f"{seen['traces'][what]['trace_id']}")
    if problems:
        raise AssertionError("; ".join(problems))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("kubernetes", help="print the folder holding the programs")
    command.add_argument("version")
    command.add_argument("--program", action="append", choices=K8S_PROGRAMS,
                         help="one program (repeatable; default: all of them)")
    commands.add_parser("etcd", help="print the folder holding etcd and etcdctl").add_argument(
        "version", nargs="?", default=ETCD_VERSION)
    command = commands.add_parser("smoke", help="etcd + Jaeger + kube-apiserver with tracing, on loopback")
    command.add_argument("version")
    command.add_argument("--etcd", default=ETCD_VERSION)
    command.add_argument("--jaeger", default=jaeger.DEFAULT_VERSION)
    command.add_argument("--keep", help="work in this folder and leave it behind (logs, config)")
    command.add_argument("--etcd-sampling-rate", type=int, default=1_000_000,
                         help="etcd's --distributed-tracing-sampling-rate (per million)")
    args = parser.parse_args()
    if args.command == "kubernetes":
        print(kubernetes(args.version, tuple(args.program or K8S_PROGRAMS)))
    elif args.command == "etcd":
        print(etcd(args.version))
    else:
        seen = smoke(args.version, args.etcd, args.jaeger, keep=args.keep, etcd_rate=args.etcd_sampling_rate)
        json.dump(seen, sys.stdout, indent=2)
        print()
        check(seen)
        print("smoke: ok", file=sys.stderr)


if __name__ == "__main__":
    main()
