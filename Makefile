# Entry points; each is one command of the README.
.PHONY: test sanity bench

# Every test, on a fresh machine too: installs what it needs first.
test:
	tests/run

sanity:
	tests/sanity.sh "$(CURDIR)/.venv/bin/python"

# Figures for the edit modules: remote executions per task and controller time per edit.
bench:
	.venv/bin/python tests/bench/edit_bench.py
