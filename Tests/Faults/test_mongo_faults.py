"""MongoDB faults against the real binary (release build) and the project's MongoDB test server:
- killed under load, then restarted: no crash, 503/504 while it is down, full recovery, and no
  acknowledged write lost (the test server keeps a data file, durable before each reply);
- slow, behind a delaying TCP proxy: requests answer 504 or 503 within the deadline, threads and
  connections stay bounded (nothing piles up), and it serves again once MongoDB is fast."""
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, call, free_port, start, stop

PYTHON = sys.executable
MONGO_SERVER = os.path.join(ROOT, "Tests", "MongoTestServer", "mongo_test_server.py")


def start_mongo(port, data_file):
    process = subprocess.Popen([PYTHON, MONGO_SERVER, "--port", str(port), "--data-file", data_file], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().startswith("listening on")
    return process


def kill_mongo(process):
    process.kill()
    process.wait()
    process.stdout.close()


def thread_count(pid):
    return len(os.listdir("/proc/%d/task" % pid))


class DelayProxy:
    """A TCP proxy that holds every chunk from MongoDB for `delay` seconds (changeable live)."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.delay = 0.0
        self.open = 0
        self.peak_open = 0
        self.lock = threading.Lock()
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(256)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            with self.lock:
                self.open += 1
                self.peak_open = max(self.peak_open, self.open)
            threading.Thread(target=self.pump, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self.pump, args=(upstream, client, True), daemon=True).start()

    def pump(self, source, sink, delayed):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if delayed and self.delay:
                    time.sleep(self.delay)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            source.close()
            if delayed:
                with self.lock:
                    self.open -= 1

    def close(self):
        self.listener.close()


class MongoFaultTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="booksapi-mongo-faults-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.mongo_port = free_port()
        self.data_file = os.path.join(self.dir, "mongo.bson")
        self.mongo = start_mongo(self.mongo_port, self.data_file)

    def tearDown(self):
        if self.mongo.poll() is None:
            kill_mongo(self.mongo)

    def test_killed_under_load_then_restarted_loses_no_acknowledged_write(self):
        port = free_port()
        url = "mongodb://127.0.0.1:%d/bookdata?serverSelectionTimeoutMS=1000&socketTimeoutMS=2000" % self.mongo_port
        api = start(self.dir + "/unused", port, MONGODB_URL=url)
        acked, statuses, lock, done = [], [], threading.Lock(), threading.Event()

        def writer(w):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
            i = 0
            try:
                while not done.is_set():
                    i += 1
                    status, body = call(connection, "POST", "/books", {"title": "load-%d-%d" % (w, i), "author": "mongo-fault"})
                    with lock:
                        statuses.append(status)
                        if status == 201:
                            acked.append(body["Inserted"]["id"])
                    if status != 201:
                        time.sleep(0.05)
            finally:
                connection.close()

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
        for t in threads:
            t.start()
        time.sleep(1.0)
        kill_mongo(self.mongo)
        time.sleep(2.5)
        with lock:
            while_down = len(statuses)
        self.mongo = start_mongo(self.mongo_port, self.data_file)
        recovered = False
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not recovered:
            time.sleep(0.5)
            with lock:
                recovered = statuses[-4:] == [201] * 4
        time.sleep(0.5)
        done.set()
        for t in threads:
            t.join()
        failures = sorted(set(statuses) - {201})
        print("\nmongo killed under load: %d writes acknowledged, %d refused while down %s" % (len(acked), len(statuses) - len(acked), failures))
        self.assertTrue(recovered, "writes succeed again after MongoDB is back")
        self.assertTrue(set(failures) <= {503, 504}, "only 503/504 while down, never 500: %s" % failures)
        self.assertTrue(failures, "the outage was seen")
        self.assertGreater(while_down, 0)
        self.assertIsNone(api.poll(), "the API did not crash")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        for book_id in acked:
            status, _ = call(connection, "GET", "/books/" + book_id)
            self.assertEqual(status, 200, "acknowledged book %s is lost" % book_id)
        connection.close()
        self.assertEqual(stop(api, signal.SIGTERM), 0)

    def test_slow_mongodb_answers_in_time_and_nothing_piles_up(self):
        proxy = DelayProxy(self.mongo_port)
        self.addCleanup(proxy.close)
        port = free_port()
        url = "mongodb://127.0.0.1:%d/bookdata?socketTimeoutMS=1000&serverSelectionTimeoutMS=1000" % proxy.port
        api = start(self.dir + "/unused", port, MONGODB_URL=url, WORKER_THREADS="8", WORK_QUEUE_TIMEOUT="2")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        self.assertEqual(call(connection, "POST", "/books", {"title": "before", "author": "slow"})[0], 201)
        connection.close()
        threads_before = thread_count(api.pid)

        proxy.delay = 3.0
        results, lock = [], threading.Lock()

        def client(i):
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
            started = time.monotonic()
            try:
                if i % 2:
                    status, _ = call(c, "POST", "/books", {"title": "slow-%d" % i, "author": "slow"})
                else:
                    status, _ = call(c, "GET", "/books?author=slow")
            finally:
                c.close()
            with lock:
                results.append((status, time.monotonic() - started))

        threads = [threading.Thread(target=client, args=(i,)) for i in range(100)]
        for t in threads:
            t.start()
        time.sleep(1.5)
        threads_during = thread_count(api.pid)
        for t in threads:
            t.join()
        statuses = sorted(set(s for s, _ in results))
        slowest = max(d for _, d in results)
        print("\nslow mongodb: 100 requests answered %s, slowest after %.1f s; API threads %d -> %d; proxy connections peak %d"
              % (statuses, slowest, threads_before, threads_during, proxy.peak_open))
        self.assertTrue(set(statuses) <= {503, 504}, statuses)
        # Deadline: the 2 s queue timeout plus one 1 s socket timeout (plus scheduling slack).
        self.assertLess(slowest, 5.0, "every request answered within the deadline")
        self.assertLessEqual(threads_during, threads_before + 2, "no thread per waiting request")
        self.assertLessEqual(proxy.peak_open, 8 + 4, "MongoDB connections bounded by the pool (plus monitoring)")

        proxy.delay = 0.0
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        deadline = time.monotonic() + 15
        status = None
        while time.monotonic() < deadline:
            status, _ = call(connection, "GET", "/books?author=slow")
            if status == 200:
                break
            time.sleep(0.3)
        connection.close()
        self.assertEqual(status, 200, "serves again once MongoDB is fast")
        self.assertEqual(stop(api, signal.SIGTERM), 0)


if __name__ == "__main__":
    unittest.main()
