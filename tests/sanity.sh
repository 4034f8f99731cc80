#!/usr/bin/env bash
# ansible-test sanity needs the collection at .../ansible_collections/kubetrace/tracing:
# copy the files git knows (committed or not, never ignored ones) into such a tree and run it there.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
python=${1:-$repo/.venv/bin/python}
# ansible-test fetches a pip bootstrap script from its own CI site; bootstrap from ensurepip instead.
pip_version=$(grep -ho "pip='[0-9.]*'" "$("$python" -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')"/_internal/python_requirements.py | grep -o "[0-9.]*[0-9]" | head -n1)
cache=~/.ansible/test/cache/get_pip_${pip_version//./_}.py
[ -f "$cache" ] || install -D -m 0644 "$repo/tests/sanity/get_pip_from_ensurepip.py" "$cache"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
target=$work/ansible_collections/kubetrace/tracing
mkdir -p "$target"
(cd "$repo" && git ls-files -z --cached --others --exclude-standard | xargs -0 -I{} cp --parents -P {} "$target"/)
cd "$target"
git init -q && git add -A && git -c user.name=ci -c user.email=ci@localhost commit -qm sanity
"$(dirname "$python")/ansible-test" sanity --python "$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" \
  --requirements --color no "${@:2}"
