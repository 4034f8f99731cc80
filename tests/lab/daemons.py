"""Start a program for a test, wait until it is ready, and always stop it again."""

import contextlib
import subprocess
import time
from pathlib import Path


@contextlib.contextmanager
def daemon(argv, log_path, ready, what, timeout=30, **popen):
    """Run argv with its output in log_path; yield the process once ready() is true.

    Raises RuntimeError with the log when it exits or is not ready within timeout seconds.
    At the end: SIGTERM, and SIGKILL when it has not exited within timeout seconds.
    """
    with open(log_path, "w") as log:
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, **popen)
    try:
        deadline = time.monotonic() + timeout
        while not ready():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not start:\n{Path(log_path).read_text()}")
            time.sleep(0.2)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
