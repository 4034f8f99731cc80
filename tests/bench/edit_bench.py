"""Figures for the edit modules (a benchmark, not a test: it prints, it asserts nothing).

1. Remote module executions per host for one edit task: when nothing changes and when the file
   changes (targets: 1 and at most 2), counted in a real ansible-playbook run on a stdlib-only node.
2. Controller time per edit on a 200-line and a 5,000-line file, YAML and TOML, beside the bare
   library round trip (load + dump of the same file with ruamel.yaml or tomlkit) timed in the same
   run (target: within 20% of it).

    .venv/bin/python tests/bench/edit_bench.py [--repeat N]
"""

from __future__ import annotations

import argparse
import io
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parents[2] / '.collections')]

import tomlkit  # noqa: E402
from ruamel.yaml import YAML  # noqa: E402

from ansible_collections.kubetrace.tracing.plugins.module_utils import _toml_doc, _tree, _yaml_doc  # noqa: E402
from playrunner import make_node, run_task  # noqa: E402
from testpaths import FIXTURES  # noqa: E402

KUBELET = (FIXTURES / 'kubeadm' / 'v1.37.2' / 'kubelet-config.yaml').read_text()
YAML_EDIT = {'tracing.endpoint': '10.0.0.5:4317', 'tracing.samplingRatePerMillion': 10000}
TOML_EDIT = {'plugins."io.containerd.tracing.processor.v1.otlp".endpoint': '10.0.0.5:4318',
             'plugins."io.containerd.internal.v1.tracing".sampling_ratio': 0.01}


def yaml_text(lines: int) -> str:
    """A kubelet config grown with extra mappings to about ``lines`` lines, in kubeadm's style."""
    body, block = [KUBELET], 0
    while sum(part.count('\n') for part in body) < lines:
        body.append('extra%04d:\n  name: block-%d  # comment\n  items:\n  - a\n  - "b"\n  value: %d.5\n'
                    % (block, block, block))
        block += 1
    return ''.join(body)


def toml_text(lines: int) -> str:
    """A containerd-style config with about ``lines`` lines of plugin tables."""
    body, block = ['version = 2\n\n[plugins]\n'], 0
    while sum(part.count('\n') for part in body) < lines:
        body.append('  [plugins."io.example.v1.p%04d"]\n    enabled = true  # comment\n    ratio = 1.0\n'
                    '    names = ["a", "b"]\n\n' % block)
        block += 1
    return ''.join(body)


def medians(functions, repeat: int) -> list:
    """Median wall time of each of ``functions`` in milliseconds, run in turns.

    In turns, so that other work on a shared machine slows each of them alike and the ratios hold.
    """
    times = [[] for _function in functions]
    for _round in range(repeat):
        for spent, function in zip(times, functions):
            start = time.perf_counter()
            function()
            spent.append((time.perf_counter() - start) * 1000)
    return [statistics.median(spent) for spent in times]


def yaml_round_trip(text: str):
    yaml = YAML(typ='rt')
    stream = io.StringIO()
    yaml.dump(yaml.load(text), stream)
    return stream.getvalue()


def controller_figures(repeat: int) -> None:
    print('controller time per edit (median of %d, in turns with the round trip, ms)' % repeat)
    print('%-6s %7s %14s %13s %13s %9s' % ('format', 'lines', 'round trip', 'edit', 'no-op edit', 'edit/rt'))
    cases = [('yaml', yaml_text, YAML_EDIT, _yaml_doc, yaml_round_trip),
             ('toml', toml_text, TOML_EDIT, _toml_doc, lambda text: tomlkit.dumps(tomlkit.parse(text)))]
    for name, make, edit, engine, round_trip in cases:
        for lines in (200, 5000):
            text = make(lines)
            compiled = _tree.compile_paths(edit, [])

            def change(doc, dry_run, engine=engine, compiled=compiled):
                return _tree.apply_paths(doc, compiled, engine.STYLE, dry_run)
            edited = engine.edit(text, change)
            assert engine.edit(edited, change) is edited
            bare, spent, noop = medians([lambda: round_trip(text), lambda: engine.edit(text, change),
                                         lambda: engine.edit(edited, change)], repeat)
            figures = (name, text.count('\n'), bare, spent, noop, 100 * spent / bare)
            print('%-6s %7d %14.2f %13.2f %13.2f %8.0f%%' % figures)


def remote_figures() -> None:
    node = make_node()
    work = Path(tempfile.mkdtemp(prefix='kubetrace-bench-'))
    try:
        print('\nremote module executions per host (real ansible-playbook, local connection, pipelining)')
        print('%-28s %8s %10s' % ('task', 'changed', 'executions'))
        for module, name, text, edit in (('kubetrace.tracing.yaml_edit', 'config.yaml', KUBELET, YAML_EDIT),
                                         ('kubetrace.tracing.toml_edit', 'config.toml', toml_text(200), TOML_EDIT)):
            target = work / name
            target.write_text(text)
            for label in ('first run', 'second run'):
                run = run_task(work, node.python, module, {'path': str(target), 'set': edit})
                print('%-28s %8s %10d' % ('%s, %s' % (module.rsplit('.', 1)[1], label),
                                          run.result['changed'], run.executions))
            run = run_task(work, node.python, module, {'path': str(target), 'set': edit}, check=True)
            print('%-28s %8s %10d' % ('%s, check mode' % module.rsplit('.', 1)[1], run.result['changed'],
                                      run.executions))
    finally:
        shutil.rmtree(work)
        shutil.rmtree(node.folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--repeat', type=int, default=15)
    args = parser.parse_args()
    controller_figures(args.repeat)
    remote_figures()


if __name__ == '__main__':
    main()
