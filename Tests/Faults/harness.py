"""Shared by the fault suites: start the real binary on a chosen port, talk HTTP to it."""
import http.client
import json
import os
import socket
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("BOOKSAPI_RELEASE_BINARY", os.path.join(ROOT, ".build", "release", "BooksAPI"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(data_dir, port, prefix=(), **env):
    """Starts the server (under `prefix`, e.g. nsenter) and waits until it accepts connections."""
    environment = {"PATH": "/usr/bin:/bin", "HOST": "127.0.0.1", "PORT": str(port), "DATA_DIR": data_dir, "FLEET_SEED_FILE": "",
                   "LOG_LEVEL": "warn", "STATIC_DIR": "/nonexistent", **env}
    process = subprocess.Popen([*prefix, BINARY], cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the server exited %d: %s" % (process.returncode, process.stdout.read().decode(errors="replace")))
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            time.sleep(0.01)
    process.kill()
    raise RuntimeError("the server did not start")


def call(connection, method, path, body=None):
    """One request; returns (status, parsed JSON or None)."""
    headers = {"Content-Type": "application/json"} if body is not None else {}
    connection.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
    response = connection.getresponse()
    data = response.read()
    return response.status, (json.loads(data) if data else None)


def all_books(port):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    books, skip = [], 0
    try:
        while True:
            status, page = call(connection, "GET", "/books?limit=1000&skip=%d" % skip)
            assert status == 200, status
            books += page
            if len(page) < 1000:
                return books
            skip += 1000
    finally:
        connection.close()


def stop(process, sig):
    """Signals the server, reaps it and closes its output pipe."""
    process.send_signal(sig)
    code = process.wait()
    process.stdout.close()
    return code
