"""Fixtures that run tasks of the collection through a real ansible-playbook (see playrunner)."""

from __future__ import annotations

import shutil

import pytest

from playrunner import BIN, make_node, run_task

__all__ = ['BIN']


@pytest.fixture(scope='session')
def node():
    made = make_node()
    yield made
    shutil.rmtree(made.folder)


@pytest.fixture
def play(node, tmp_path):
    """play(module, args, check=False, diff=False, as_nobody=False) -> playrunner.Run."""
    def run(module, args, check=False, diff=False, as_nobody=False, extra_tasks=(), register=None):
        python = node.python_as_nobody if as_nobody else node.python
        return run_task(tmp_path, python, module, args, check=check, diff=diff, extra_tasks=extra_tasks,
                        register=register)
    return run
