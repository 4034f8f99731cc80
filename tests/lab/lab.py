"""The lab's node manager: Debian machines in miniature that boot a real systemd.

base(suite)            a cached Debian root filesystem (bookworm, trixie) with systemd, sshd,
                       python3, containerd and runc; built once, shared read-only by every node.
up(lab_dir, nodes)     boots systemd-nspawn nodes on a private bridge, each in its own network
                       namespace, and waits until each answers over ssh.
down(lab_dir)          stops them and removes every process, namespace, link and cgroup the lab made.
status(lab_dir)        what is running and what is left over.

A node is a dict: {"name": "node1", "suite": "trixie", "groups": ["kube_node"],
"address": "10.213.7.5" (optional), "binds": [(host_path, node_path, read_only)] (optional),
"tmpfs": [node paths] (optional; default DEFAULT_TMPFS), "nspawn_args": [extra systemd-nspawn options]
(optional), "nspawn_env": {variable: value} for systemd-nspawn itself (optional)}.

up() writes into lab_dir: state.json, ssh_key(.pub), ssh_config, inventory.yml (Ansible YAML) and
one NAME.console.log per node. The cache is ${KUBETRACE_CACHE:-~/.cache/kubetrace}/lab.
The Debian mirror is taken from this host's apt sources (KUBETRACE_DEBIAN_MIRROR overrides it).

    python3 tests/lab/lab.py base trixie
    python3 tests/lab/lab.py up LAB_DIR --node jaeger1:trixie:jaeger --node node3:bookworm:kube_node
    python3 tests/lab/lab.py status LAB_DIR
    python3 tests/lab/lab.py ssh LAB_DIR node3 systemctl is-active containerd
    python3 tests/lab/lab.py down LAB_DIR

Runs as root, Python 3.11 standard library only.
"""

import argparse
import datetime
import errno
import fcntl
import hashlib
import ipaddress
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

SUITES = ("bookworm", "trixie")
DEBOOTSTRAP_INCLUDE = ("systemd", "systemd-sysv", "dbus", "python3", "iproute2", "procps",
                       "openssh-server", "sudo", "ca-certificates")
BASE_EXTRA_PACKAGES = ("containerd", "runc")
# Bump when the recipe below changes: a base with an older stamp is rebuilt.
RECIPE = 1
STAMP = "etc/kubetrace-lab-base.json"
MASKED_UNITS = ("apt-daily.timer", "apt-daily-upgrade.timer", "fstrim.timer")
# Host commands the lab runs, and the Debian package that provides each.
HOST_TOOLS = {"debootstrap": "debootstrap", "systemd-nspawn": "systemd-container",
              "ssh": "openssh-client", "ssh-keygen": "openssh-client", "ip": "iproute2"}
# Every lab network is a /24 inside this /16; the third byte is picked so nothing on the host overlaps.
SUBNET_POOL = ipaddress.ip_network("10.213.0.0/16")
# Node paths that get their own tmpfs by default. containerd's overlayfs snapshotter cannot mount
# on top of nspawn's --volatile=overlay root (overlay on overlay), so its state goes to a tmpfs.
DEFAULT_TMPFS = ("/var/lib/containerd",)
RUN_DIR = Path("/run/kubetrace-lab")     # host-wide lock and the ssh control sockets (short paths)
READY_TIMEOUT = 90                       # seconds a node has to answer over ssh
STOP_TIMEOUT = 30                        # seconds the nodes have to power off before SIGKILL
NAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$")
GROUP_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# Popen objects of the nspawn processes this Python process started, so down() can reap them.
_CHILDREN = {}


class LabError(Exception):
    """A lab operation failed; the message says what and where to look."""


# ----------------------------------------------------------------------------------------- helpers

def log(message):
    """Progress messages go to stderr so stdout stays usable (paths, JSON)."""
    print(f"lab: {message}", file=sys.stderr, flush=True)


def tool(name):
    """Full path of a host command, looking in the sbin folders too."""
    path = os.environ.get("PATH", "") + ":/usr/local/sbin:/usr/sbin:/sbin"
    found = shutil.which(name, path=path)
    if not found:
        raise LabError(f"{name} not found (package {HOST_TOOLS.get(name, '?')})")
    return found


def run(args, check=True, capture=False, **kwargs):
    """Run a command; on failure raise LabError with its output."""
    result = subprocess.run([str(a) for a in args], text=True, check=False,
                            stdout=subprocess.PIPE if capture else None,
                            stderr=subprocess.PIPE if capture else None, **kwargs)
    if check and result.returncode != 0:
        detail = (result.stderr or result.stdout or "").strip() if capture else ""
        raise LabError(f"{' '.join(map(str, args))} exited {result.returncode}: {detail}")
    return result


def ip(*args, check=True):
    """Run `ip ARGS` and return its stdout."""
    return run([tool("ip"), *args], check=check, capture=True).stdout


def write_atomic(path, text, mode=0o644):
    """Write a file so that a reader sees either the old or the new content."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text)
    tmp.chmod(mode)
    os.replace(tmp, path)


class FileLock:
    """An exclusive flock on a file, as a context manager."""

    def __init__(self, path):
        self.path = Path(path)

    def __enter__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.handle = open(self.path, "a")
        fcntl.flock(self.handle, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()


def require_root():
    """The lab creates namespaces, links and cgroups: root only."""
    if os.geteuid() != 0:
        raise LabError("the lab must run as root")


def ensure_host_tools():
    """Install (apt-get) the host packages the lab needs when one of their commands is missing."""
    missing = set()
    for name, package in HOST_TOOLS.items():
        try:
            tool(name)
        except LabError:
            missing.add(package)
    if not missing:
        return
    log(f"installing host packages: {' '.join(sorted(missing))}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run(["apt-get", "update", "-q"], env=env, capture=True)
    run(["apt-get", "install", "-y", "-q", "--no-install-recommends", *sorted(missing)], env=env, capture=True)


# ------------------------------------------------------------------------------------------ cgroups

def cgroup_roots():
    """The cgroup hierarchies nspawn uses: the unified one, plus name=systemd on a hybrid host."""
    top = Path("/sys/fs/cgroup")
    if (top / "cgroup.controllers").exists():          # pure cgroup v2
        return [top]
    return [top / name for name in ("systemd", "unified") if (top / name / "cgroup.procs").exists()]


def cgroup_dirs(relative):
    """The folder for a relative cgroup path in every hierarchy nspawn uses."""
    return [root / relative for root in cgroup_roots()]


def enter_cgroups(dirs):
    """Move the calling process into the given cgroup folders (creating them).

    Without systemd on the host, `--register=no --keep-unit` makes nspawn create payload/ and
    supervisor/ below its own cgroup; started from the root cgroup, a second node would collide
    with the first. So every nspawn starts in a cgroup of its own.
    """
    for folder in dirs:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "cgroup.procs").write_text(str(os.getpid()))


def cgroup_pids(folder):
    """Every process in a cgroup folder and below it."""
    pids = set()
    if not Path(folder).is_dir():
        return pids
    for current, _dirs, files in os.walk(folder):
        if "cgroup.procs" in files:
            try:
                text = (Path(current) / "cgroup.procs").read_text()
            except OSError:
                continue
            pids.update(int(line) for line in text.split())
    return pids


def kill_cgroup(folder):
    """SIGKILL every process in a cgroup tree (cgroup.kill where the kernel has it)."""
    folder = Path(folder)
    if not folder.is_dir():
        return
    if (folder / "cgroup.kill").exists():
        try:
            (folder / "cgroup.kill").write_text("1")
            return
        except OSError:
            pass
    for pid in cgroup_pids(folder):
        with _suppress_no_process():
            os.kill(pid, signal.SIGKILL)


def remove_cgroup(folder):
    """rmdir a cgroup folder and its children, deepest first. Returns True when it is gone."""
    folder = Path(folder)
    if not folder.exists():
        return True
    for current, _dirs, _files in os.walk(folder, topdown=False):
        try:
            os.rmdir(current)
        except OSError as error:
            if error.errno not in (errno.ENOENT,):
                log(f"cannot remove cgroup {current}: {error.strerror}")
    return not folder.exists()


class _suppress_no_process:
    """Ignore ProcessLookupError (the process is already gone)."""

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        return kind is not None and issubclass(kind, ProcessLookupError)


# --------------------------------------------------------------------------------------- processes

def alive(pid):
    """True when pid runs (a zombie counts as gone, and our own children get reaped)."""
    if not pid:
        return False
    child = _CHILDREN.get(pid)
    if child is not None:
        return child.poll() is None
    try:
        os.waitpid(pid, os.WNOHANG)     # reaps it if it happens to be our child
    except ChildProcessError:
        pass
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


def in_cgroup(pid, relative):
    """True when pid's cgroup (any hierarchy) lies at or below the given relative path."""
    try:
        text = Path(f"/proc/{pid}/cgroup").read_text()
    except OSError:
        return False
    wanted = "/" + str(relative).strip("/")
    return any((path := line.split(":", 2)[2]) == wanted or path.startswith(wanted + "/")
               for line in text.splitlines() if line.count(":") >= 2)


def wait_until(predicate, timeout, interval=0.2):
    """Poll predicate until it is true or timeout seconds passed; return its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


# -------------------------------------------------------------------------------------------- base

def cache_dir():
    """${KUBETRACE_CACHE:-~/.cache/kubetrace}/lab"""
    root = os.environ.get("KUBETRACE_CACHE") or Path.home() / ".cache" / "kubetrace"
    return Path(root) / "lab"


def host_codename():
    """This host's Debian codename (VERSION_CODENAME in /etc/os-release), or None."""
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("VERSION_CODENAME="):
                return line.split("=", 1)[1].strip().strip('"') or None
    except OSError:
        pass
    return None


def apt_sources(etc_apt=Path("/etc/apt")):
    """The host's enabled apt sources: a list of dicts with types, uris and suites (one-line and deb822)."""
    entries = []
    one_line = [etc_apt / "sources.list"] + sorted((etc_apt / "sources.list.d").glob("*.list"))
    for path in one_line:
        if not path.is_file():
            continue
        for line in path.read_text().splitlines():
            line = re.sub(r"\[[^\]]*\]", " ", line.split("#", 1)[0])     # drop [options]
            words = line.split()
            if len(words) >= 3:
                entries.append({"types": [words[0]], "uris": [words[1]], "suites": [words[2]]})
    for path in sorted((etc_apt / "sources.list.d").glob("*.sources")):
        for stanza in re.split(r"\n\s*\n", path.read_text()):
            fields, key = {}, None
            for line in stanza.splitlines():
                if line.startswith("#"):
                    continue
                if line[:1] in (" ", "\t") and key:
                    fields[key] += " " + line.strip()
                elif ":" in line:
                    key, _colon, value = line.partition(":")
                    key = key.strip().lower()
                    fields[key] = value.strip()
            if fields.get("enabled", "yes").lower() == "no" or "uris" not in fields:
                continue
            entries.append({key: fields.get(key, "").split() for key in ("types", "uris", "suites")})
    return entries


def debian_mirror():
    """The Debian mirror this host's apt uses for its own release (KUBETRACE_DEBIAN_MIRROR overrides)."""
    override = os.environ.get("KUBETRACE_DEBIAN_MIRROR")
    if override:
        return override
    codename = host_codename()
    known = set(SUITES) | {"bullseye", "stable", "testing", "unstable", "sid"}
    entries = [e for e in apt_sources() if "deb" in e["types"] and e["uris"]]
    for wanted in ([codename] if codename else []) + sorted(known):
        for entry in entries:
            if wanted in entry["suites"]:
                return entry["uris"][0]
    raise LabError("no Debian mirror found in this host's apt sources; set KUBETRACE_DEBIAN_MIRROR")


def read_stamp(folder):
    """The stamp of a base folder as a dict, or None when there is none."""
    try:
        return json.loads((Path(folder) / STAMP).read_text())
    except (OSError, ValueError):
        return None


def base(suite, force=False):
    """Return the cached base root filesystem for a Debian suite, building it when needed.

    The base is built in a temporary folder next to its final place and renamed at the end, so an
    interrupted build never leaves a half base. Its stamp (/etc/kubetrace-lab-base.json inside it)
    records the suite, mirror, recipe and the versions of the main packages.
    """
    if suite not in SUITES:
        raise LabError(f"unknown suite {suite!r}; known: {', '.join(SUITES)}")
    root = cache_dir()
    final = root / f"base-{suite}"
    with FileLock(root / f"base-{suite}.lock"):
        stamp = read_stamp(final)
        if stamp and stamp.get("recipe") == RECIPE and not force:
            return final
        require_root()
        ensure_host_tools()
        for stale in root.glob(f"base-{suite}.tmp-*"):          # left by an interrupted build
            log(f"removing {stale}")
            builder = stale.name.rpartition("-")[2]
            if builder.isdigit():
                stop_build(int(builder))
            remove_tree(stale)
        tmp = root / f"base-{suite}.tmp-{os.getpid()}"
        try:
            stamp = build_base(suite, tmp)
            if final.exists():
                old = root / f"base-{suite}.old-{os.getpid()}"
                os.rename(final, old)
                os.rename(tmp, final)
                remove_tree(old)
            else:
                os.rename(tmp, final)
        finally:
            stop_build(os.getpid())
            if tmp.exists():
                remove_tree(tmp)
    log(f"base-{suite} ready in {stamp['build_seconds']['total']} s: {final}")
    return final


def build_base(suite, target):
    """debootstrap a suite into target, add containerd and runc, give it node identities, stamp it."""
    mirror = debian_mirror()
    started = time.monotonic()
    target.mkdir(parents=True)
    log(f"debootstrap {suite} from {mirror} into {target}")
    dirs = cgroup_dirs(f"{build_cgroup(os.getpid())}/debootstrap")
    run([tool("debootstrap"), "--variant=minbase", "--include=" + ",".join(DEBOOTSTRAP_INCLUDE),
         suite, target, mirror], capture=True, stdin=subprocess.DEVNULL, preexec_fn=lambda: enter_cgroups(dirs))
    unmount_below(target)                  # debootstrap can leave proc/sys mounted on some errors
    debootstrapped = time.monotonic()
    log(f"installing {' '.join(BASE_EXTRA_PACKAGES)} inside the {suite} base")
    in_base(target, "apt-get update -q && apt-get install -y -q --no-install-recommends "
            + " ".join(BASE_EXTRA_PACKAGES) + " && apt-get clean")
    installed = time.monotonic()
    personalize(target)
    versions = package_versions(target, DEBOOTSTRAP_INCLUDE + BASE_EXTRA_PACKAGES)
    stamp = {
        "recipe": RECIPE,
        "suite": suite,
        "mirror": mirror,
        "built": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "debootstrap_include": list(DEBOOTSTRAP_INCLUDE),
        "extra_packages": list(BASE_EXTRA_PACKAGES),
        "versions": versions,
        "masked_units": list(MASKED_UNITS),
        "build_seconds": {"debootstrap": round(debootstrapped - started, 1),
                          "packages": round(installed - debootstrapped, 1),
                          "total": round(time.monotonic() - started, 1)},
        "size_mib": round(tree_size(target) / 2**20),
    }
    write_atomic(target / STAMP, json.dumps(stamp, indent=2) + "\n")
    return stamp


def build_cgroup(pid):
    """The cgroup that holds every process a base build (by process pid) starts."""
    return f"kubetrace-build-{pid}"


def stop_build(pid):
    """Kill whatever the base build of process pid started (it may be dead) and remove its cgroups."""
    dirs = cgroup_dirs(build_cgroup(pid))
    for folder in dirs:
        kill_cgroup(folder)
    wait_until(lambda: not any(alive(p) for folder in dirs for p in cgroup_pids(folder)), 10)
    for folder in dirs:
        remove_cgroup(folder)


def in_base(folder, script):
    """Run a shell script inside a root filesystem with a non-booting systemd-nspawn (host network).

    nspawn starts in a cgroup of the build (see enter_cgroups), which base() removes at the end.
    """
    dirs = cgroup_dirs(f"{build_cgroup(os.getpid())}/nspawn")
    run([tool("systemd-nspawn"), "-q", "-D", folder, "--register=no", "--keep-unit",
         "--console=pipe", "--setenv=DEBIAN_FRONTEND=noninteractive", "/bin/sh", "-c", script],
        capture=True, stdin=subprocess.DEVNULL, preexec_fn=lambda: enter_cgroups(dirs))


def personalize(root):
    """Make a base that many nodes can boot at once, each with its own identity.

    Host keys are generated at each boot (ssh.service drop-in), /etc/hostname goes (nspawn -M names
    the node), /etc/machine-id is left empty so systemd takes the --uuid nspawn passes, and the
    timers that would reach for the network or the disk are masked.
    """
    root = Path(root)
    for key in (root / "etc/ssh").glob("ssh_host_*"):
        key.unlink()
    unit = next((p for p in (root / "usr/lib/systemd/system/ssh.service",
                             root / "lib/systemd/system/ssh.service") if p.exists()), None)
    if unit is None:
        raise LabError(f"{root}: openssh-server's ssh.service is missing")
    original = [line for line in unit.read_text().splitlines() if line.startswith("ExecStartPre=")]
    dropin = root / "etc/systemd/system/ssh.service.d"
    dropin.mkdir(parents=True, exist_ok=True)
    # Reset the list so the keys exist before the unit's own checks (`sshd -t`) run.
    (dropin / "kubetrace-lab-host-keys.conf").write_text(
        "# Written by kubetrace's tests/lab/lab.py: every node makes its own host keys.\n"
        "[Service]\nExecStartPre=\nExecStartPre=/usr/bin/ssh-keygen -A\n" + "".join(l + "\n" for l in original))
    (root / "etc/hostname").unlink(missing_ok=True)
    (root / "etc/machine-id").write_text("")
    dbus_id = root / "var/lib/dbus/machine-id"
    dbus_id.parent.mkdir(parents=True, exist_ok=True)
    dbus_id.unlink(missing_ok=True)
    dbus_id.symlink_to("/etc/machine-id")
    for name in MASKED_UNITS:
        link = root / "etc/systemd/system" / name
        link.unlink(missing_ok=True)
        link.symlink_to("/dev/null")
    ssh_dir = root / "root/.ssh"
    ssh_dir.mkdir(mode=0o700, exist_ok=True)
    (ssh_dir / "authorized_keys").touch(mode=0o600)         # mount point for the lab's key


def package_versions(root, names):
    """Installed versions of the named packages, read from the base's dpkg status file."""
    versions = {}
    for stanza in (Path(root) / "var/lib/dpkg/status").read_text().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in stanza.splitlines() if ": " in line and line[0] != " ")
        if fields.get("Package") in names and fields.get("Status", "").endswith(" installed"):
            versions[fields["Package"]] = fields.get("Version")
    return dict(sorted(versions.items()))


def tree_size(folder):
    """Bytes used by the regular files in a folder (hard links counted once)."""
    seen, total = set(), 0
    for current, _dirs, files in os.walk(folder):
        for name in files:
            stat = os.lstat(os.path.join(current, name))
            if (stat.st_dev, stat.st_ino) not in seen:
                seen.add((stat.st_dev, stat.st_ino))
                total += stat.st_blocks * 512
    return total


def unmount_below(folder):
    """Unmount everything mounted at or below a folder (deepest first)."""
    prefix = str(Path(folder).resolve())
    points = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4].encode().decode("unicode_escape")
        if point == prefix or point.startswith(prefix + "/"):
            points.append(point)
    for point in sorted(points, key=len, reverse=True):
        run(["umount", "-l", point], check=False, capture=True)


def remove_tree(folder):
    """Remove a (possibly half-built) root filesystem, unmounting anything inside it first."""
    unmount_below(folder)
    shutil.rmtree(folder, ignore_errors=True)


# ---------------------------------------------------------------------------------------------- up

def lab_id(lab_dir):
    """Eight hex digits derived from the lab folder; every name the lab creates contains it."""
    return hashlib.sha256(str(Path(lab_dir).resolve()).encode()).hexdigest()[:8]


def names(lab_dir):
    """The names of everything a lab creates on the host, derived from its folder."""
    ident = lab_id(lab_dir)
    return {
        "id": ident,
        "bridge": f"kt{ident}br",          # interface names: at most 15 characters
        "veth_prefix": f"kt{ident}v",
        "netns_prefix": f"kubetrace-{ident}-",
        "cgroup": f"kubetrace-{ident}",
        "control_dir": RUN_DIR / ident,
    }


def normalize_node(node):
    """Check one node description and fill in the defaults."""
    node = dict(node)
    name = node.get("name", "")
    if not NAME_RE.match(name):
        raise LabError(f"node name {name!r}: use lower-case letters, digits and dashes (a host name)")
    if node.get("suite") not in SUITES:
        raise LabError(f"node {name}: suite must be one of {', '.join(SUITES)}")
    groups = node.get("groups") or []
    if isinstance(groups, str):
        groups = [g for g in groups.split(",") if g]
    for group in groups:
        if not GROUP_RE.match(group):
            raise LabError(f"node {name}: group name {group!r} is not a valid Ansible group name")
    node["groups"] = list(groups)
    binds = []
    for bind in node.get("binds") or []:
        host_path, node_path, *rest = bind
        if not Path(host_path).exists():
            raise LabError(f"node {name}: bind source {host_path} does not exist")
        if ":" in f"{Path(host_path).resolve()}{node_path}":
            raise LabError(f"node {name}: bind paths must not contain ':' ({host_path}, {node_path})")
        binds.append([str(Path(host_path).resolve()), str(node_path), bool(rest and rest[0])])
    node["binds"] = binds
    node["tmpfs"] = list(node.get("tmpfs", DEFAULT_TMPFS))
    node["nspawn_args"] = [str(arg) for arg in node.get("nspawn_args") or []]
    node["nspawn_env"] = {str(key): str(value) for key, value in (node.get("nspawn_env") or {}).items()}
    return node


def host_networks():
    """Every IPv4 network the host routes or has an address in (default routes left out)."""
    networks = []
    for entry in json.loads(ip("-4", "-j", "route", "show", "table", "all") or "[]"):
        dst = entry.get("dst", "default")
        if dst != "default":
            networks.append(ipaddress.ip_network(dst, strict=False))
    for link in json.loads(ip("-4", "-j", "addr", "show") or "[]"):
        for info in link.get("addr_info", []):
            networks.append(ipaddress.ip_network(f"{info['local']}/{info['prefixlen']}", strict=False))
    return networks


def choose_subnet(lab, nodes):
    """The lab's /24: the one its nodes' given addresses lie in, else a free one from SUBNET_POOL."""
    used = host_networks()
    given = {ipaddress.ip_interface(f"{n['address']}/24").network for n in nodes if n.get("address")}
    if len(given) > 1:
        raise LabError(f"node addresses span several /24 networks: {', '.join(map(str, given))}")
    if given:
        subnet = given.pop()
        clash = [str(net) for net in used if net.overlaps(subnet)]
        if clash:
            raise LabError(f"{subnet} overlaps networks on this host: {', '.join(clash)}")
        return subnet
    candidates = list(SUBNET_POOL.subnets(new_prefix=24))
    start = int(lab["id"], 16) % len(candidates)
    for subnet in candidates[start:] + candidates[:start]:
        if not any(net.overlaps(subnet) for net in used):
            return subnet
    raise LabError(f"every /24 of {SUBNET_POOL} overlaps a network on this host")


def assign_addresses(subnet, nodes):
    """Give each node an address: the one it asked for, else the next free from .2 on (.1 is the bridge)."""
    hosts = list(subnet.hosts())
    taken = {hosts[0]}
    for node in nodes:
        if node.get("address"):
            address = ipaddress.ip_address(node["address"])
            if address in taken or address not in hosts:
                raise LabError(f"node {node['name']}: address {address} is taken or not usable")
            taken.add(address)
    free = (h for h in hosts if h not in taken)
    for node in nodes:
        node["address"] = str(node.get("address") or next(free))


def save_state(lab_dir, state):
    """Write lab_dir/state.json (atomically; down() relies on it after a partial up)."""
    write_atomic(Path(lab_dir) / "state.json", json.dumps(state, indent=2) + "\n")


def load_state(lab_dir):
    """lab_dir/state.json as a dict, or None."""
    try:
        return json.loads((Path(lab_dir) / "state.json").read_text())
    except (OSError, ValueError):
        return None


def up(lab_dir, nodes, timeout=READY_TIMEOUT):
    """Boot the nodes and wait until each answers over ssh; return the lab's state.

    On any failure everything created so far is removed again (the console logs stay in lab_dir)
    and LabError says which node failed, with the end of its console log.
    """
    require_root()
    lab_dir = Path(lab_dir).resolve()
    if ":" in str(lab_dir):
        raise LabError(f"{lab_dir}: the lab folder's path must not contain ':' (nspawn --bind syntax)")
    lab_dir.mkdir(parents=True, exist_ok=True)
    nodes = [normalize_node(n) for n in nodes]
    if not nodes:
        raise LabError("no nodes given")
    if len({n["name"] for n in nodes}) != len(nodes):
        raise LabError("node names must be unique")
    previous = load_state(lab_dir)
    if previous and any(alive(n.get("pid")) and in_cgroup(n["pid"], n["cgroup"])
                        for n in previous.get("nodes", {}).values()):
        raise LabError(f"a lab is already up in {lab_dir}; run down first")
    down(lab_dir, quiet=True)                       # leftovers of an earlier, interrupted run
    ensure_host_tools()
    raise_inotify_limit(len(nodes))
    bases = {suite: str(base(suite)) for suite in sorted({n["suite"] for n in nodes})}
    lab = names(lab_dir)
    state = {"lab": lab["id"], "lab_dir": str(lab_dir), "status": "starting",
             "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
             "bridge": None, "control_dir": str(lab["control_dir"]),
             "cgroups": [str(d) for d in cgroup_dirs(lab["cgroup"])], "nodes": {}}
    try:
        with FileLock(RUN_DIR / "lock"):            # two labs must not pick the same subnet
            subnet = choose_subnet(lab, nodes)
            bridge_address = f"{next(subnet.hosts())}/{subnet.prefixlen}"
            state["bridge"] = {"name": lab["bridge"], "address": bridge_address, "subnet": str(subnet)}
            save_state(lab_dir, state)
            ip("link", "add", lab["bridge"], "type", "bridge")
            ip("addr", "add", bridge_address, "dev", lab["bridge"])
            ip("link", "set", lab["bridge"], "up")
        assign_addresses(subnet, nodes)
        key = make_key(lab_dir, lab["id"])
        lab["control_dir"].mkdir(parents=True, exist_ok=True, mode=0o700)
        for index, node in enumerate(nodes):
            state["nodes"][node["name"]] = {
                "suite": node["suite"], "base": bases[node["suite"]], "groups": node["groups"],
                "address": node["address"], "netns": lab["netns_prefix"] + node["name"],
                "veth": f"{lab['veth_prefix']}{index}", "binds": node["binds"], "tmpfs": node["tmpfs"],
                "nspawn_args": node["nspawn_args"], "nspawn_env": node["nspawn_env"],
                "uuid": str(uuid.uuid4()), "cgroup": f"{lab['cgroup']}/{node['name']}",
                "console_log": str(lab_dir / f"{node['name']}.console.log"), "pid": None}
        write_ssh_config(lab_dir, state)
        for name, node in state["nodes"].items():
            plug(node, lab["bridge"], subnet.prefixlen)
            save_state(lab_dir, state)
        for name, node in state["nodes"].items():
            node["pid"] = boot(name, node, key)
            node["started"] = time.time()
            save_state(lab_dir, state)
        wait_ready(lab_dir, state, timeout)
        state["status"] = "up"
        save_state(lab_dir, state)
        write_inventory(lab_dir, state)
    except BaseException:
        log("up failed; removing what was created")
        try:
            down(lab_dir, quiet=True)
        except LabError as error:       # keep the original error; say what could not be removed
            log(str(error))
        raise
    return state


INOTIFY_LIMIT = Path("/proc/sys/fs/inotify/max_user_instances")
INOTIFY_PER_NODE = 8        # a booting systemd, journald, udev and sshd each keep a few inotify instances


def raise_inotify_limit(count, limit_file=INOTIFY_LIMIT):
    """All nodes' processes are root on the host and share one inotify budget; at the default 128 the 26th node
    fails to boot ("Too many open files"). Raise it where it is lower than the lab needs, and say so."""
    try:
        current = int(limit_file.read_text())
    except (OSError, ValueError):
        return
    wanted = max(1024, 128 + INOTIFY_PER_NODE * count * 4)
    if current < wanted:
        limit_file.write_text(f"{wanted}\n")
        log(f"raised fs.inotify.max_user_instances from {current} to {wanted} for {count} nodes "
            f"(every node's systemd counts against root's inotify instances on this host)")


def make_key(lab_dir, ident):
    """A fresh ed25519 key pair for this lab: lab_dir/ssh_key and ssh_key.pub."""
    key = Path(lab_dir) / "ssh_key"
    for path in (key, key.with_suffix(".pub")):
        path.unlink(missing_ok=True)
    run([tool("ssh-keygen"), "-q", "-t", "ed25519", "-N", "", "-C", f"kubetrace-lab-{ident}", "-f", key],
        capture=True)
    return key


def plug(node, bridge, prefixlen):
    """A network namespace for the node, with a veth pair: host side on the bridge, host0 inside."""
    netns, veth = node["netns"], node["veth"]
    ip("netns", "add", netns)
    ip("link", "add", veth, "type", "veth", "peer", "name", "host0", "netns", netns)
    ip("link", "set", veth, "master", bridge, "up")
    ip("-n", netns, "addr", "add", f"{node['address']}/{prefixlen}", "dev", "host0")
    ip("-n", netns, "link", "set", "host0", "up")
    ip("-n", netns, "link", "set", "lo", "up")


def nspawn_command(name, node, key):
    """The systemd-nspawn command line that boots one node."""
    command = [tool("systemd-nspawn"), "-q", "-D", node["base"], "-M", name, f"--uuid={node['uuid']}",
               "-b", "--register=no", "--keep-unit", "--console=read-only", "--volatile=overlay",
               f"--network-namespace-path=/run/netns/{node['netns']}",
               f"--bind-ro={key}.pub:/root/.ssh/authorized_keys"]
    command += [f"--tmpfs={path}" for path in node["tmpfs"]]
    for host_path, node_path, read_only in node["binds"]:
        command.append(f"--bind{'-ro' if read_only else ''}={host_path}:{node_path}")
    return command + node.get("nspawn_args", [])


def boot(name, node, key):
    """Start the node's nspawn in its own cgroup, console to its log; return the nspawn pid."""
    dirs = cgroup_dirs(node["cgroup"])
    for folder in dirs:
        folder.mkdir(parents=True, exist_ok=True)
    with open(node["console_log"], "wb") as console:
        child = subprocess.Popen(nspawn_command(name, node, key), stdin=subprocess.DEVNULL,
                                 env=dict(os.environ, **node.get("nspawn_env", {})),
                                 stdout=console, stderr=subprocess.STDOUT, start_new_session=True,
                                 preexec_fn=lambda: enter_cgroups(dirs))
    _CHILDREN[child.pid] = child
    return child.pid


def ssh_command(lab_dir, name, *command, master=True):
    """The ssh command line that runs command on a node (through the lab's ssh_config)."""
    args = [tool("ssh"), "-F", str(Path(lab_dir).resolve() / "ssh_config")]
    if not master:
        args += ["-o", "ControlMaster=no", "-o", "ControlPath=none"]
    return args + [name, *command]


def ssh(lab_dir, name, *command, check=True, timeout=120):
    """Run a command on a node over ssh; return the CompletedProcess (text output captured)."""
    return run(ssh_command(lab_dir, name, *command), check=check, capture=True,
               stdin=subprocess.DEVNULL, timeout=timeout)


def port_open(address, port=22, timeout=0.5):
    """True when a TCP connection to address:port succeeds."""
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return True
    except OSError:
        return False


def console_tail(node, lines=40):
    """The last lines of a node's console log."""
    try:
        text = Path(node["console_log"]).read_text(errors="replace")
    except OSError:
        return "(no console log)"
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r", "", text)     # colours, titles
    return "\n".join([line for line in text.splitlines() if line.strip()][-lines:])


def wait_ready(lab_dir, state, timeout):
    """Wait until every node runs `true` over ssh; record each node's boot-to-ssh seconds."""
    pending = dict(state["nodes"])
    last_error = {}                         # what ssh said the last time a node's port was open
    deadline = time.monotonic() + timeout
    while pending:
        for name, node in list(pending.items()):
            if not alive(node["pid"]):
                raise LabError(f"node {name} stopped while booting; console ({node['console_log']}):\n"
                               + console_tail(node))
            if port_open(node["address"]):
                try:
                    probe = subprocess.run(ssh_command(lab_dir, name, "true", master=False), timeout=30, text=True,
                                           stdin=subprocess.DEVNULL, capture_output=True, check=False)
                    answered, last_error[name] = probe.returncode == 0, probe.stderr.strip()
                except subprocess.TimeoutExpired:
                    answered, last_error[name] = False, "ssh took more than 30 s"
                if answered:
                    node["ready_seconds"] = round(time.time() - node["started"], 2)
                    del pending[name]
        if pending and time.monotonic() > deadline:
            name, node = next(iter(pending.items()))
            said = f" (ssh: {last_error[name]})" if last_error.get(name) else " (port 22 closed)"
            raise LabError(f"node {name} did not answer over ssh at {node['address']} within {timeout} s{said};"
                           f" console ({node['console_log']}):\n" + console_tail(node))
        time.sleep(0.2)
    log("ready: " + ", ".join(f"{n} {v['address']} {v['ready_seconds']} s" for n, v in state["nodes"].items()))


def write_ssh_config(lab_dir, state):
    """lab_dir/ssh_config: one Host per node, the lab's key, no host key checks, a control master."""
    lab_dir = Path(lab_dir)
    lines = ["# Written by kubetrace's tests/lab/lab.py up; usage: ssh -F THIS_FILE NODE", ""]
    for name, node in state["nodes"].items():
        lines += [f"Host {name}", f"  HostName {node['address']}", ""]
    lines += ["Host *", "  User root", f"  IdentityFile \"{lab_dir / 'ssh_key'}\"", "  IdentitiesOnly yes",
              "  StrictHostKeyChecking no", "  UserKnownHostsFile /dev/null", "  LogLevel ERROR",
              "  ConnectTimeout 5", "  ControlMaster auto", f"  ControlPath \"{state['control_dir']}/%C\"",
              "  ControlPersist 60s", ""]
    write_atomic(lab_dir / "ssh_config", "\n".join(lines))


def write_inventory(lab_dir, state):
    """lab_dir/inventory.yml: an Ansible YAML inventory of the nodes and their groups.

    The ssh ControlPath points into the lab's control folder so that down() can close the
    ControlPersist masters Ansible leaves behind.
    """
    lab_dir = Path(lab_dir)
    q = json.dumps              # a JSON string is a valid YAML double-quoted scalar
    common = ("-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"
              f" -o ControlPath={state['control_dir']}/%C")
    lines = ["# Written by kubetrace's tests/lab/lab.py up; removed by lab.py down.", "all:", "  hosts:"]
    for name, node in state["nodes"].items():
        lines += [f"    {name}:",
                  f"      ansible_host: {q(node['address'])}",
                  "      ansible_user: root",
                  f"      ansible_ssh_private_key_file: {q(str(lab_dir / 'ssh_key'))}",
                  f"      ansible_ssh_common_args: {q(common)}",
                  "      ansible_python_interpreter: /usr/bin/python3",
                  f"      lab_suite: {node['suite']}"]
    groups = {}
    for name, node in state["nodes"].items():
        for group in node["groups"]:
            groups.setdefault(group, []).append(name)
    if groups:
        lines.append("  children:")
        for group, members in groups.items():
            lines += [f"    {group}:", "      hosts:"] + [f"        {m}: {{}}" for m in members]
    write_atomic(lab_dir / "inventory.yml", "\n".join(lines) + "\n")


# -------------------------------------------------------------------------------------------- down

def lab_links(lab):
    """The lab's network interfaces that exist on the host (bridge and host-side veths)."""
    found = []
    for link in json.loads(ip("-j", "link", "show") or "[]"):
        name = link.get("ifname", "")
        if name == lab["bridge"] or name.startswith(lab["veth_prefix"]):
            found.append(name)
    return found


def lab_netns(lab):
    """The lab's network namespaces that exist (from /run/netns)."""
    folder = Path("/run/netns")
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(lab["netns_prefix"]))


def supervisors(lab):
    """{node: pid} of the nspawn processes in the lab's cgroups (nspawn moves itself to NODE/supervisor)."""
    found = {}
    for folder in cgroup_dirs(lab["cgroup"]):
        for supervisor in sorted(folder.glob("*/supervisor")):
            for pid in cgroup_pids(supervisor):
                if alive(pid):
                    found[supervisor.parent.name] = pid
    return found


def lab_processes(lab):
    """Every process in the lab's cgroups, and the ssh masters using its control folder."""
    pids = set()
    for folder in cgroup_dirs(lab["cgroup"]):
        pids |= {pid for pid in cgroup_pids(folder) if alive(pid)}
    return sorted(pids | set(control_masters(lab)))


def control_masters(lab):
    """pids of ssh processes whose command line names the lab's control folder (ControlPersist masters)."""
    marker = str(lab["control_dir"]) + "/"
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if cmdline.startswith("ssh") and marker in cmdline and alive(int(entry.name)):
            pids.append(int(entry.name))
    return pids


def close_control_masters(lab):
    """`ssh -O exit` every control socket of the lab, then kill any master still running."""
    folder = Path(lab["control_dir"])
    if folder.is_dir():
        for sock in folder.iterdir():
            run([tool("ssh"), "-o", f"ControlPath={sock}", "-O", "exit", "lab"], check=False, capture=True,
                stdin=subprocess.DEVNULL, timeout=10)
    if not wait_until(lambda: not control_masters(lab), 3):
        for pid in control_masters(lab):
            with _suppress_no_process():
                os.kill(pid, signal.SIGTERM)
    shutil.rmtree(folder, ignore_errors=True)


def down(lab_dir, timeout=STOP_TIMEOUT, quiet=False):
    """Stop every node of a lab and remove what the lab created on the host. Safe to run twice.

    SIGTERM makes nspawn power its node off; what is still running after timeout seconds is
    SIGKILLed through the lab's cgroups. Then the ssh masters are closed and the veths, network
    namespaces, bridge and cgroup folders removed. Everything is found by the lab's names (derived
    from lab_dir), so down also cleans up after an interrupted up.
    """
    require_root()
    lab_dir = Path(lab_dir).resolve()
    lab = names(lab_dir)
    state = load_state(lab_dir) or {}
    nodes = state.get("nodes", {})
    started = time.monotonic()
    running = {n: v["pid"] for n, v in nodes.items()
               if alive(v.get("pid")) and in_cgroup(v["pid"], v["cgroup"])}
    running.update(supervisors(lab))                # nodes state.json does not know about
    for pid in running.values():
        with _suppress_no_process():
            os.kill(pid, signal.SIGTERM)
    if running and not quiet:
        log(f"stopping {', '.join(running)}")
    cgroups = cgroup_dirs(lab["cgroup"])
    clean = wait_until(lambda: not any(alive(p) for p in running.values())
                       and not any(alive(p) for f in cgroups for p in cgroup_pids(f)), timeout)
    killed = []
    if not clean:
        log(f"nodes still running after {timeout} s: SIGKILL")
        killed = [pid for folder in cgroups for pid in cgroup_pids(folder)]
        for pid in running.values():
            with _suppress_no_process():
                os.kill(pid, signal.SIGKILL)
        for folder in cgroups:
            kill_cgroup(folder)
        wait_until(lambda: not any(alive(p) for f in cgroups for p in cgroup_pids(f)), 10)
    for pid in running.values():
        _CHILDREN.pop(pid, None)
    masters = control_masters(lab)
    close_control_masters(lab)
    # Orphaned processes (nspawn after `lab.py up` exited, ssh masters) are reaped by the host's
    # init; give it a moment so that `ps` right after down shows no <defunct> entries either.
    ended = [*running.values(), *masters, *killed]
    wait_until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in ended), 5)
    for link in lab_links(lab):
        if link != lab["bridge"]:
            ip("link", "del", link, check=False)
    for netns in lab_netns(lab):
        ip("netns", "del", netns, check=False)
    if lab["bridge"] in lab_links(lab):
        ip("link", "del", lab["bridge"], check=False)
    for folder in cgroups:
        remove_cgroup(folder)
    for name in ("state.json", "inventory.yml", "ssh_config"):
        (lab_dir / name).unlink(missing_ok=True)
    left = leftovers(lab_dir)
    if any(left.values()):
        raise LabError(f"down left things behind: {left}")
    if running and not quiet:
        log(f"down in {time.monotonic() - started:.1f} s")


def leftovers(lab_dir):
    """What of the lab still exists on the host: processes, links, namespaces, cgroup folders."""
    lab = names(lab_dir)
    return {"processes": lab_processes(lab),
            "links": lab_links(lab),
            "netns": lab_netns(lab),
            "cgroups": [str(f) for f in cgroup_dirs(lab["cgroup"]) if f.exists()],
            "control_dir": [str(lab["control_dir"])] if Path(lab["control_dir"]).exists() else []}


# ------------------------------------------------------------------------------------------ status

def memory_mib(cgroup):
    """Memory of the processes in a node's cgroup, from smaps_rollup, in MiB.

    pss: proportional set size, shared file pages (the base's binaries) split between the nodes
    that map them; anon: proportional anonymous memory, what one more node of a suite costs.
    The node's tmpfs (the overlay's writes, its journal) is not included.
    """
    pids = set()
    for folder in cgroup_dirs(cgroup):
        pids |= cgroup_pids(folder)
    totals = {"Pss": 0, "Pss_Anon": 0}
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                key, _colon, value = line.partition(":")
                if key in totals:
                    totals[key] += int(value.split()[0])
        except (OSError, ValueError, IndexError):
            continue
    return {"pss": round(totals["Pss"] / 1024, 1), "anon": round(totals["Pss_Anon"] / 1024, 1)}


def status(lab_dir):
    """The lab's state: per node whether nspawn runs, ssh answers and its memory; plus leftovers."""
    lab_dir = Path(lab_dir).resolve()
    state = load_state(lab_dir)
    report = {"lab_dir": str(lab_dir), "lab": lab_id(lab_dir), "status": "down", "nodes": {}}
    if state:
        report["status"] = state.get("status")
        report["bridge"] = state.get("bridge")
        for name, node in state.get("nodes", {}).items():
            running = alive(node.get("pid")) and in_cgroup(node["pid"], node["cgroup"])
            report["nodes"][name] = {
                "suite": node["suite"], "address": node["address"], "groups": node["groups"],
                "pid": node.get("pid"), "running": running,
                "ssh_port_open": running and port_open(node["address"]),
                "ready_seconds": node.get("ready_seconds"),
                "memory_mib": memory_mib(node["cgroup"]) if running else None}
        if report["nodes"] and not all(n["running"] for n in report["nodes"].values()):
            report["status"] = "degraded"
    report["leftovers"] = leftovers(lab_dir) if os.geteuid() == 0 else None
    return report


# --------------------------------------------------------------------------------------------- CLI

def parse_node(text):
    """NAME:SUITE[:GROUP[,GROUP]][:ADDRESS] -> node dict"""
    parts = text.split(":")
    if not 2 <= len(parts) <= 4:
        raise argparse.ArgumentTypeError(f"{text!r}: expected NAME:SUITE[:GROUP[,GROUP]][:ADDRESS]")
    node = {"name": parts[0], "suite": parts[1], "groups": parts[2].split(",") if len(parts) > 2 and parts[2] else []}
    if len(parts) == 4 and parts[3]:
        node["address"] = parts[3]
    return node


def parse_bind(text):
    """NODE:HOST_PATH:NODE_PATH[:ro] -> (node, (host_path, node_path, read_only))"""
    parts = text.split(":")
    if len(parts) not in (3, 4) or (len(parts) == 4 and parts[3] not in ("ro", "rw")):
        raise argparse.ArgumentTypeError(f"{text!r}: expected NODE:HOST_PATH:NODE_PATH[:ro]")
    return parts[0], (parts[1], parts[2], len(parts) == 4 and parts[3] == "ro")


def print_status(report):
    """Human-readable status."""
    print(f"lab {report['lab']} in {report['lab_dir']}: {report['status']}")
    if report.get("bridge"):
        print(f"  bridge {report['bridge']['name']} {report['bridge']['address']}")
    for name, node in report["nodes"].items():
        memory = node["memory_mib"] or {}
        print(f"  {name:<16} {node['suite']:<9} {node['address']:<15} pid {node['pid']}"
              f" {'running' if node['running'] else 'stopped'}"
              f" ssh {'open' if node['ssh_port_open'] else 'closed'}"
              f" pss {memory.get('pss', '-')} MiB anon {memory.get('anon', '-')} MiB"
              f" groups {','.join(node['groups']) or '-'}")
    left = {k: v for k, v in (report.get("leftovers") or {}).items() if v}
    if report["status"] == "down":
        print("  leftovers: " + (json.dumps(left) if left else "none"))


def _terminate(signum, _frame):
    """SIGTERM unwinds like Ctrl-C, so a half base or a half lab gets cleaned up."""
    raise SystemExit(128 + signum)


def main(argv=None):
    """Command line: base, up, down, status, ssh."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("base", help="build (or reuse) the cached base of a suite; prints its folder")
    p.add_argument("suite", choices=SUITES)
    p.add_argument("--force", action="store_true", help="rebuild even when a current base exists")
    p = sub.add_parser("up", help="boot nodes and wait for ssh")
    p.add_argument("lab_dir")
    p.add_argument("--node", action="append", type=parse_node, required=True,
                   metavar="NAME:SUITE[:GROUP[,GROUP]][:ADDRESS]")
    p.add_argument("--bind", action="append", type=parse_bind, default=[], metavar="NODE:HOST_PATH:NODE_PATH[:ro]")
    p.add_argument("--timeout", type=float, default=READY_TIMEOUT, help="seconds each node has to answer ssh")
    p = sub.add_parser("down", help="stop the nodes and remove everything the lab created")
    p.add_argument("lab_dir")
    p = sub.add_parser("status", help="show nodes and leftovers")
    p.add_argument("lab_dir")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("ssh", help="run a command on a node (through lab_dir/ssh_config)")
    p.add_argument("lab_dir")
    p.add_argument("node")
    p.add_argument("remote", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        if args.command == "base":
            print(base(args.suite, force=args.force))
        elif args.command == "up":
            nodes = {n["name"]: n for n in args.node}
            for name, bind in args.bind:
                if name not in nodes:
                    raise LabError(f"--bind names an unknown node {name}")
                nodes[name].setdefault("binds", []).append(bind)
            up(args.lab_dir, list(nodes.values()), timeout=args.timeout)
            print(Path(args.lab_dir).resolve() / "inventory.yml")
        elif args.command == "down":
            down(args.lab_dir)
        elif args.command == "status":
            report = status(args.lab_dir)
            print(json.dumps(report, indent=2)) if args.json else print_status(report)
        elif args.command == "ssh":
            return subprocess.call(ssh_command(args.lab_dir, args.node, *args.remote))
    except LabError as error:
        print(f"lab: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
