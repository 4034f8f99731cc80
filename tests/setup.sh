#!/usr/bin/env bash
# Installs what the tests and the demo lab need, on a fresh machine too (idempotent; run as root); with --demo,
# only what `make demo` runs:
# Debian packages, a virtualenv with the Python packages, and the real programs, built or fetched once
# into ${KUBETRACE_CACHE:-~/.cache/kubetrace}.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${KUBETRACE_VENV:-.venv}
python=${PYTHON:-python3}

step() { printf '\n== %s\n' "$*"; }

step "Debian packages"
missing=()
for package in python3 python3-venv util-linux coreutils git curl iproute2 openssh-client debootstrap \
               systemd-container; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'ok installed' || missing+=("$package")
done
if ((${#missing[@]})); then
  [ "$(id -u)" = 0 ] || { echo "run as root, or install first: ${missing[*]}" >&2; exit 1; }
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
command -v go >/dev/null || { echo "Go 1.24 or newer is needed to build containerd, Jaeger, crictl, etcd, Kubernetes, the CNI plugins and the registry" >&2; exit 1; }

step "Python virtualenv in $venv"
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "$python is older than 3.11" >&2; exit 1; }
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check -r requirements.txt -r tests/requirements.txt

step "Real programs (cached)"
"$venv/bin/python" tests/lab/containerd.py debian bookworm
"$venv/bin/python" tests/lab/containerd.py debian trixie
# containerd 2.x, Jaeger, the node agents' OpenTelemetry Collector (tests/lab/otelcol.py), crictl, the Debian bases, etcd, the CNI plugins, the registry, busybox (the lab's
# httpd image), and kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kubeadm and kubectl with
# their images for the two Kubernetes releases the scenarios run (built once, cached)
"$venv/bin/python" tests/lab/scenario.py programs
# the older release only the tests run (make demo runs `tests/setup.sh --demo`, which leaves it out)
[ "${1:-}" = --demo ] || "$venv/bin/python" tests/lab/scenario.py programs --kubernetes v1.33.13
# and the gateway tier's collector build (molecule/gateway and tests/integration/test_agent_tiers.py)
[ "${1:-}" = --demo ] || "$venv/bin/python" tests/lab/otelcol.py archive --gateway >/dev/null
