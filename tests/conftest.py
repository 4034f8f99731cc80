"""Shared test setup: make the clone importable as ansible_collections.kubetrace.tracing."""

from __future__ import annotations

import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS.parent / '.collections'))
sys.path.insert(0, str(TESTS))
sys.path.insert(0, str(TESTS / 'lab'))
