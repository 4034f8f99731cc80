"""How site.yml's time grows with the number of nodes (a benchmark, not a test: it prints, it asserts nothing).

Boots the Jaeger node and N workers with Debian 13's containerd (the lab's nodes, no kubelet), runs site.yml
once (first run) and again (nothing to change), and prints seconds, task results per host and the seconds
each added node costs, from a run with one worker and a run with N.

    python3 tests/bench/scale_bench.py [--workers 1,20] [--forks 20] [--keep LAB_DIR]

Runs as root (the lab makes namespaces and links); about 20-30 MiB of memory per idle node.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / 'tests' / 'lab'))

import lab  # noqa: E402  pylint: disable=wrong-import-position
import scenario  # noqa: E402  pylint: disable=wrong-import-position


def boot(lab_dir: Path, workers: int):
    nodes = [{'name': 'jaeger1', 'suite': 'trixie', 'groups': ['jaeger']}]
    nodes += [{'name': 'w%03d' % index, 'suite': 'trixie', 'groups': ['kube_node']} for index in range(1, workers + 1)]
    scenario.release_folder(lab_dir)
    state = lab.up(str(lab_dir), nodes)
    bridge = state['bridge']['address'].split('/')[0]
    scenario.serve(lab_dir, bridge)
    (lab_dir / 'bench-vars.yml').write_text(
        'jaeger_version: "%s"\njaeger_release_url: "http://%s:%d/v{{ jaeger_version }}"\n'
        '# the direct mode its earlier figures were measured in\nkubetrace_agent: false\n'
        % (scenario.JAEGER_VERSION, bridge, scenario.RELEASE_PORT))


def site(lab_dir: Path, forks: int):
    """(seconds, {host: {'ok': n, 'changed': n, ...}}) of one site.yml run."""
    env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0', ANSIBLE_PIPELINING='1',
               ANSIBLE_INJECT_FACT_VARS='false', ANSIBLE_PYTHON_INTERPRETER='/usr/bin/python3')
    started = time.monotonic()
    run = subprocess.run([str(Path(sys.executable).parent / 'ansible-playbook'), '-i', str(lab_dir / 'inventory.yml'),
                          '-e', '@%s' % (lab_dir / 'bench-vars.yml'), '-e', 'kubetrace_batch_size=100%',
                          '--forks', str(forks), str(REPO / 'site.yml')],
                         cwd=REPO, env=env, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    if run.returncode != 0:
        raise SystemExit('site.yml failed:\n%s\n%s' % (run.stdout[-4000:], run.stderr[-2000:]))
    recap = {host: {key: int(value) for key, value in re.findall(r'(\w+)=(\d+)', rest)}
             for host, rest in re.findall(r'^(\S+)\s+:\s+(ok=.*)$', run.stdout, re.MULTILINE)}
    return seconds, recap


def measure(workers: int, forks: int, keep=None):
    lab_dir = Path(keep) if keep else Path(tempfile.mkdtemp(prefix='kubetrace-scale-'))
    try:
        started = time.monotonic()
        boot(lab_dir, workers)
        booted = time.monotonic() - started
        first, _recap = site(lab_dir, forks)
        again, recap = site(lab_dir, forks)
        worker = recap.get('w001', {})
        return {'workers': workers, 'boot': booted, 'first': first, 'again': again,
                'changed_again': sum(row.get('changed', 0) for row in recap.values()),
                'tasks_per_worker': worker.get('ok', 0) + worker.get('skipped', 0)}
    finally:
        scenario.down(lab_dir)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--workers', default='1,20', help='comma-separated worker counts (default %(default)s)')
    parser.add_argument('--forks', type=int, default=20)
    args = parser.parse_args(argv)
    rows = [measure(int(count), args.forks) for count in args.workers.split(',')]
    print('workers  boot s  first run s  re-run s  changed on re-run  tasks per worker (ok+skipped)')
    for row in rows:
        print('%7d  %6.1f  %11.1f  %8.1f  %17d  %d' % (row['workers'], row['boot'], row['first'], row['again'],
                                                       row['changed_again'], row['tasks_per_worker']))
    if len(rows) > 1 and rows[-1]['workers'] > rows[0]['workers']:
        span = rows[-1]['workers'] - rows[0]['workers']
        print('each added node: first run %.2f s, re-run %.2f s (forks %d, %d cores)'
              % ((rows[-1]['first'] - rows[0]['first']) / span, (rows[-1]['again'] - rows[0]['again']) / span,
                 args.forks, os.cpu_count()))


if __name__ == '__main__':
    main()
