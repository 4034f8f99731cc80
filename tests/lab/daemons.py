"""Start a program for a test, wait until it is ready, always stop it again, and talk to it over HTTP."""

import contextlib
import json
import subprocess
import time
import urllib.error
import urllib.request
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


def http(method, url, body=None, headers=None, timeout=5, context=None):
    """(status, parsed JSON or text) of one request; HTTP errors are returned, not raised."""
    data = None if body is None else json.dumps(body).encode()
    headers = dict(headers or {})
    if data is not None:
        headers.setdefault("Content-Type", "application/json")
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode()
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text
