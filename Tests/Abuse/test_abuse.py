"""Abuse against the release binary: slowloris, slow bodies and slow reads with slowhttptest,
connection floods past MAX_CONNECTIONS, and huge bodies. Throughout, a normal client (wrk) keeps
its p99 target, file descriptors and memory stay bounded, and idle connections close on time."""
import os
import re
import resource
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("BOOKSAPI_RELEASE_BINARY", os.path.join(ROOT, ".build", "release", "BooksAPI"))
TIMEOUT = 3            # HEADER_TIMEOUT, BODY_TIMEOUT, IDLE_TIMEOUT and WRITE_TIMEOUT, in seconds
MAX_CONNECTIONS = 1500
P99_TARGET_MS = 5.0    # the p99 target at 64 connections (bench/RESULTS.md)
# wrk and slowhttptest share this machine's 2 cores with the server, so under attack a normal
# client must stay within the target, or within half again its own unattacked p99 of this run.
# A real attacker is on other machines: here it runs at the lowest priority, and each p99 is the
# best of a few short windows (other processes on the cores only ever add latency; a server that
# stalls under attack is slow in every window).
ATTACK_SLACK = 1.5
P99_WINDOWS = 3        # of 2 seconds each
RSS_LIMIT_MB = 200


def rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1)) / 1024


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


class AbuseTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 20000), hard))
        cls.data = tempfile.mkdtemp(prefix="booksapi-abuse-")
        env = {"PATH": "/usr/bin:/bin", "HOST": "127.0.0.1", "PORT": "0", "DATA_DIR": cls.data, "LOG_LEVEL": "warn",
               "HEADER_TIMEOUT": str(TIMEOUT), "BODY_TIMEOUT": str(TIMEOUT), "IDLE_TIMEOUT": str(TIMEOUT),
               "WRITE_TIMEOUT": str(TIMEOUT), "MAX_CONNECTIONS": str(MAX_CONNECTIONS), "STATIC_DIR": "/nonexistent",
               # Attacker and normal client share 127.0.0.1 here; test_hostile_fixes covers the per-client cap.
               "MAX_CONNECTIONS_PER_CLIENT": "0"}
        # LOG_LEVEL=warn hides the "listening on" line, so the port is chosen here.
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        cls.port = probe.getsockname()[1]
        probe.close()
        env["PORT"] = str(cls.port)
        cls.server = subprocess.Popen([BINARY], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", cls.port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        cls.base_fds = fd_count(cls.server.pid)
        cls.baseline_p99 = cls.wrk_p99()
        print("\nabuse: baseline p99 %.2f ms at 64 connections, %d fds, %.1f MB RSS" % (cls.baseline_p99, cls.base_fds, rss_mb(cls.server.pid)))

    @classmethod
    def tearDownClass(cls):
        rss = rss_mb(cls.server.pid)
        cls.server.terminate()
        code = cls.server.wait(timeout=30)
        shutil.rmtree(cls.data, ignore_errors=True)
        print("abuse: final RSS %.1f MB; exit %d" % (rss, code))
        assert rss <= RSS_LIMIT_MB, "RSS grew to %.1f MB" % rss
        assert code == 0, "SIGTERM after the abuse must still exit 0"

    @classmethod
    def url(cls, path="/books?limit=8&sortasc=author"):
        return "http://127.0.0.1:%d%s" % (cls.port, path)

    @classmethod
    def wrk_p99(cls):
        """The best p99 of a normal client (wrk, 64 connections) over P99_WINDOWS windows of 2 s."""
        best = float("inf")
        for _ in range(P99_WINDOWS):
            out = subprocess.run(["wrk", "-t1", "-c64", "-d2s", "--latency", cls.url()], capture_output=True, text=True, check=True).stdout
            value, unit = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)$", out, re.M).groups()
            errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
            assert errors is None, "normal clients got errors: " + out
            best = min(best, float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit])
        return best

    def assert_still_serving(self):
        self.assertIsNone(self.server.poll(), "the server is still running")
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
            self.assertTrue(s.recv(100).startswith(b"HTTP/1.1 200"))

    def wait_for_fds_to_settle(self, deadline):
        end = time.monotonic() + deadline
        while time.monotonic() < end and fd_count(self.server.pid) > self.base_fds + 8:
            time.sleep(0.2)
        self.assertLessEqual(fd_count(self.server.pid), self.base_fds + 8, "idle and slow connections were closed on time")

    def attack(self, mode, extra):
        """Runs slowhttptest with 1,000 connections; returns (peak server fds, p99 of a normal client meanwhile)."""
        attacker = subprocess.Popen(["nice", "-n", "19", "slowhttptest", mode, "-c", "1000", "-r", "1000", "-i", "1", "-l", "12", "-p", "3",
                                     "-u", self.url("/books")] + extra, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        time.sleep(2)
        peak = fd_count(self.server.pid)
        p99 = self.wrk_p99()
        peak = max(peak, fd_count(self.server.pid))
        output, _ = attacker.communicate(timeout=60)
        self.assertLessEqual(peak, MAX_CONNECTIONS + self.base_fds + 8, "file descriptors stay bounded")
        self.assertGreater(peak, self.base_fds + 200, "the attack really held connections: " + output[-500:])
        self.assertLessEqual(p99, max(P99_TARGET_MS, ATTACK_SLACK * self.baseline_p99), "normal clients keep their p99")
        return peak, p99, output

    def test_slowloris(self):
        peak, p99, output = self.attack("-H", ["-x", "8"])
        print("abuse: slowloris (1,000 connections, a header line every second): peak %d fds, normal p99 %.2f ms" % (peak, p99))
        self.wait_for_fds_to_settle(TIMEOUT * 3)
        self.assert_still_serving()

    def test_slow_body(self):
        peak, p99, output = self.attack("-B", ["-s", "65536", "-x", "8", "-t", "POST", "-f", "application/json"])
        print("abuse: slow body (1,000 connections): peak %d fds, normal p99 %.2f ms" % (peak, p99))
        self.wait_for_fds_to_settle(TIMEOUT * 3)
        self.assert_still_serving()

    def test_slow_read(self):
        peak, p99, output = self.attack("-X", ["-k", "10", "-n", "2", "-w", "1", "-y", "16", "-z", "8"])
        print("abuse: slow read (1,000 connections): peak %d fds, normal p99 %.2f ms, RSS %.1f MB" % (peak, p99, rss_mb(self.server.pid)))
        self.wait_for_fds_to_settle(TIMEOUT * 4)
        self.assert_still_serving()

    def test_connection_flood_past_the_limit(self):
        flood = []
        for _ in range(MAX_CONNECTIONS * 2):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", self.port))
            flood.append(s)
        time.sleep(1)
        fds = fd_count(self.server.pid)
        print("abuse: flood of %d idle connections: %d server fds (limit %d)" % (len(flood), fds, MAX_CONNECTIONS))
        self.assertLessEqual(fds, MAX_CONNECTIONS + self.base_fds + 8, "never more than MAX_CONNECTIONS open")
        # At the limit a waiting client takes the place of the longest-idle connection, so a normal
        # client is served at once, not after the silent ones time out (IDLE_TIMEOUT, 3 s).
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", self.port), timeout=TIMEOUT * 5) as s:
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n")
            answer = b""
            while b"booksapi_http_connections_displaced_total " not in answer or not answer.endswith(b"\n"):
                more = s.recv(65536)
                if not more:
                    break
                answer += more
        waited = time.monotonic() - started
        self.assertTrue(answer.startswith(b"HTTP/1.1 200"), answer[:200])
        displaced = int(re.search(rb"^booksapi_http_connections_displaced_total (\d+)$", answer, re.M).group(1))
        print("abuse: a normal client during the flood was served after %.2f s; %d idle connections displaced" % (waited, displaced))
        self.assertLess(waited, 1.0, "served without waiting for the flood to time out")
        self.assertGreaterEqual(displaced, 1, "the flood's idle connections gave their places")
        for s in flood:
            s.close()
        self.wait_for_fds_to_settle(TIMEOUT * 3)
        self.assert_still_serving()

    def test_huge_bodies(self):
        before = rss_mb(self.server.pid)
        # A declared terabyte: refused from the head alone, before any of it is read.
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            s.sendall(b"POST /books HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 1000000000000\r\n\r\n")
            self.assertTrue(s.recv(100).startswith(b"HTTP/1.1 413"))
        # An endless chunked body: refused once it passes MAX_BODY_BYTES.
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            s.sendall(b"POST /books HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
            chunk = b"100000\r\n" + b"x" * 0x100000 + b"\r\n"
            answer = b""
            try:
                for _ in range(64):
                    s.sendall(chunk)
            except OSError:
                pass  # closed by the server after its 413, as it should be
            try:
                answer = s.recv(100)
            except OSError:
                answer = b""
            self.assertTrue(answer.startswith(b"HTTP/1.1 413") or answer == b"", answer)
        # 50 half-megabyte bodies at once: over the route's cap (16x MAX_DOCUMENT_BYTES), so each is
        # refused from its head with 413 and never read; then 50 just under the cap at once: each
        # is read and refused by validation (422). Memory comes back either way.
        for size, status in [(1 << 19, b"413"), (60 * 1024, b"422")]:
            body = b'{"title":"' + b"x" * size + b'","author":"a"}'
            sockets = []
            for _ in range(50):
                s = socket.create_connection(("127.0.0.1", self.port), timeout=10)
                try:
                    s.sendall(b"POST /books HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
                except OSError:
                    pass  # the server answered from the head and may close before the body is all sent
                sockets.append(s)
            for s in sockets:
                self.assertTrue(s.recv(100).startswith(b"HTTP/1.1 " + status), status)
                s.close()
        after = rss_mb(self.server.pid)
        print("abuse: huge bodies: RSS %.1f MB before, %.1f MB after" % (before, after))
        self.assertLess(after, before + 100, "bodies are not kept")
        self.assert_still_serving()


if __name__ == "__main__":
    unittest.main()
