"""Disk full under the embedded store: its DATA_DIR is a size-capped tmpfs (in a private mount
namespace, so no root is needed where user namespaces are allowed). Writes answer 507, reads keep
working, nothing half-written is visible after a restart, and writes resume once there is space."""
import http.client
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import all_books, call, free_port, start, stop


class SmallDisk:
    """A tmpfs of `size` mounted at `path`, held open by a sleeping process in its own mount namespace."""

    def __init__(self, path, size):
        self.path = path
        self.user = [] if os.geteuid() == 0 else ["--user", "--map-root-user"]
        self.holder = subprocess.Popen(["unshare", *self.user, "--mount", "--propagation", "private", "sh", "-c",
                                        'mount -t tmpfs -o size=%s tmpfs "%s" && echo mounted && exec sleep 3600' % (size, path)],
                                       stdout=subprocess.PIPE, text=True)
        if self.holder.stdout.readline().strip() != "mounted":
            raise RuntimeError("cannot mount a tmpfs (needs root or unprivileged user namespaces)")
        self.prefix = ["nsenter", "-t", str(self.holder.pid), "--mount"] + (["--user", "--preserve-credentials"] if self.user else [])

    def resize(self, size):
        subprocess.run([*self.prefix, "mount", "-o", "remount,size=%s" % size, self.path], check=True)

    def close(self):
        self.holder.kill()
        self.holder.wait()
        self.holder.stdout.close()


class DiskFullTest(unittest.TestCase):
    def test_writes_answer_507_then_resume(self):
        root = tempfile.mkdtemp(prefix="booksapi-diskfull-")
        self.addCleanup(shutil.rmtree, root, True)
        disk = SmallDisk(root, "256k")
        self.addCleanup(disk.close)
        port = free_port()
        # Compaction needs room for a second copy; with a tiny disk it must fail cleanly too.
        server = start(root, port, prefix=disk.prefix, COMPACT_MIN_BYTES="65536")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        acknowledged, statuses = [], []
        padding = "p" * 12000
        for i in range(200):
            status, body = call(connection, "POST", "/books", {"title": "full-%d" % i, "author": "disk", "notes": padding})
            statuses.append(status)
            if status == 201:
                acknowledged.append(body["Inserted"]["id"])
            else:
                self.assertIn(status, (503, 507), body)
                self.assertEqual(body["status"], status)
            if statuses[-3:] == [507, 507, 507]:
                break
        print("\ndisk full: %d writes acknowledged, then %s" % (len(acknowledged), sorted(set(statuses) - {201})))
        self.assertIn(507, statuses, "the disk filled up and writes said so")
        self.assertGreater(len(acknowledged), 3)
        # Reads still work, and the failed writes left nothing behind in memory.
        status, page = call(connection, "GET", "/books?author=disk&limit=1000")
        self.assertEqual(status, 200)
        self.assertEqual(sorted(b["id"] for b in page), sorted(acknowledged))
        status, _ = call(connection, "GET", "/healthz")
        self.assertEqual(status, 200)
        connection.close()

        # After a crash in that state, the store opens with exactly the acknowledged writes.
        stop(server, signal.SIGKILL)
        server = start(root, port, prefix=disk.prefix, COMPACT_MIN_BYTES="65536")
        books = [b for b in all_books(port) if b["author"] == "disk"]
        self.assertEqual(sorted(b["id"] for b in books), sorted(acknowledged), "nothing half-written after a restart")

        # Room again: writes resume without a restart.
        disk.resize("8m")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        deadline = time.monotonic() + 10
        while True:
            status, body = call(connection, "POST", "/books", {"title": "after", "author": "disk", "notes": padding})
            if status == 201 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(status, 201, body)
        connection.close()
        self.assertEqual(stop(server, signal.SIGTERM), 0)
        server = start(root, port, prefix=disk.prefix)
        books = [b for b in all_books(port) if b["author"] == "disk"]
        self.assertEqual(len(books), len(acknowledged) + 1)
        self.assertEqual(stop(server, signal.SIGTERM), 0)


if __name__ == "__main__":
    unittest.main()
