"""kill -9 during concurrent writes, 200 times (CRASH_RUNS to change): after each restart every
write that got a 2xx is there, nothing is duplicated, nothing appears that was never sent, and the
store opens. Compaction is set to run often, so some kills land in the middle of one."""
import http.client
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import all_books, call, free_port, start, stop

RUNS = int(os.environ.get("CRASH_RUNS", "200"))
WRITERS = 4


class Ledger:
    """What the clients know: acknowledged state per book, and operations whose answer never came."""

    def __init__(self):
        self.lock = threading.Lock()
        self.titles = {}        # id -> title, for books whose creation (and last update) was acknowledged
        self.deleted = set()    # ids whose DELETE was acknowledged
        self.uncertain = {}     # id or title -> the operation that was in flight when the server died


class CrashSafetyTest(unittest.TestCase):
    def test_kill_9_during_concurrent_writes(self):
        data = tempfile.mkdtemp(prefix="booksapi-crash-")
        self.addCleanup(shutil.rmtree, data, True)
        port = free_port()
        ledger = Ledger()
        rng = random.Random(8)
        acknowledged = 0
        for run in range(RUNS):
            server = start(data, port, COMPACT_MIN_BYTES="4096", WORKER_THREADS="8")
            if run:
                self.verify(port, ledger, run)
            done = threading.Event()
            counts = [0] * WRITERS
            threads = [threading.Thread(target=self.writer, args=(port, ledger, run, w, done, counts, random.Random(run * 100 + w)))
                       for w in range(WRITERS)]
            for t in threads:
                t.start()
            time.sleep(rng.uniform(0.02, 0.25))
            stop(server, signal.SIGKILL)
            done.set()
            for t in threads:
                t.join()
            acknowledged += sum(counts)
        server = start(data, port)
        try:
            self.verify(port, ledger, RUNS)
        finally:
            self.assertEqual(stop(server, signal.SIGTERM), 0)
        print("\ncrash safety: %d kill -9 runs, %d acknowledged writes, 0 lost, 0 duplicated" % (RUNS, acknowledged))
        self.assertGreater(acknowledged, RUNS * 5, "the writers really wrote")

    def writer(self, port, ledger, run, w, done, counts, rng):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            self.write_until_killed(connection, ledger, run, w, done, counts, rng)
        finally:
            connection.close()

    def write_until_killed(self, connection, ledger, run, w, done, counts, rng):
        mine = []
        i = 0
        while not done.is_set():
            i += 1
            roll = rng.random()
            if roll < 0.6 or not mine:
                title = "run%d-w%d-%d" % (run, w, i)
                op = ("create", title)
                key = title
            elif roll < 0.8:
                book_id = rng.choice(mine)
                title = "run%d-w%d-%d-upd" % (run, w, i)
                op = ("update", book_id, title)
                key = book_id
            else:
                book_id = mine.pop(rng.randrange(len(mine)))
                op = ("delete", book_id)
                key = book_id
            with ledger.lock:
                ledger.uncertain[key] = op
            try:
                if op[0] == "create":
                    status, body = call(connection, "POST", "/books", {"title": title, "author": "crash"})
                elif op[0] == "update":
                    status, body = call(connection, "PUT", "/books/" + book_id, {"title": title})
                else:
                    status, body = call(connection, "DELETE", "/books/" + book_id)
            except (OSError, http.client.HTTPException):
                return  # the server died: this operation stays uncertain
            if not 200 <= status < 300:
                raise AssertionError("%s answered %d: %s" % (op, status, body))
            with ledger.lock:
                del ledger.uncertain[key]
                if op[0] == "create":
                    book_id = body["Inserted"]["id"]
                    ledger.titles[book_id] = title
                    mine.append(book_id)
                elif op[0] == "update":
                    ledger.titles[book_id] = title
                else:
                    ledger.titles.pop(book_id, None)
                    ledger.deleted.add(book_id)
            counts[w] += 1

    def verify(self, port, ledger, run):
        books = [b for b in all_books(port) if b["author"] == "crash"]
        by_id = {b["id"]: b for b in books}
        self.assertEqual(len(by_id), len(books), "run %d: a book id appears twice" % run)
        titles = [b["title"] for b in books]
        self.assertEqual(len(set(titles)), len(titles), "run %d: a create was applied twice" % run)
        for book_id, title in ledger.titles.items():
            pending = ledger.uncertain.get(book_id)
            if pending and pending[0] == "delete" and book_id not in by_id:
                continue  # the delete in flight was applied: fine
            self.assertIn(book_id, by_id, "run %d: acknowledged book %s (%s) is lost" % (run, book_id, title))
            allowed = {title} | ({pending[2]} if pending and pending[0] == "update" else set())
            self.assertIn(by_id[book_id]["title"], allowed, "run %d: book %s lost an acknowledged update" % (run, book_id))
        for book_id in ledger.deleted:
            self.assertNotIn(book_id, by_id, "run %d: acknowledged delete of %s came back" % (run, book_id))
        for book_id, book in by_id.items():
            if book_id in ledger.titles:
                continue
            pending = ledger.uncertain.get(book["title"])
            self.assertTrue(pending and pending[0] == "create", "run %d: book %s appeared from nowhere: %s" % (run, book_id, book))
            # An unacknowledged create that landed is now known; later runs must keep it.
            ledger.titles[book_id] = book["title"]
            del ledger.uncertain[book["title"]]
        # Settle what the restart decided for the other in-flight operations.
        for key, op in list(ledger.uncertain.items()):
            if op[0] == "create":
                del ledger.uncertain[key]  # it did not land (else it was handled above)
            elif op[0] == "update":
                if key in by_id:
                    ledger.titles[key] = by_id[key]["title"]
                del ledger.uncertain[key]
            else:
                if key not in by_id:
                    ledger.titles.pop(key, None)
                    ledger.deleted.add(key)
                del ledger.uncertain[key]


if __name__ == "__main__":
    unittest.main()
