"""Issue 12's findings, each against the release binary over real sockets: the one-request crashes,
deciding before the body, slots held hostage, the per-client cap, and secrets and files."""
import os
import re
import resource
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Faults"))
from harness import BINARY, ROOT, free_port  # noqa: E402

TOKEN = "hostile-fixes-token"
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 20000), hard))


def rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1)) / 1024


class Server:
    """The release binary with `env`; its output goes to a file read by `log`."""

    def __init__(self, wait=True, **env):
        self.data = tempfile.mkdtemp(prefix="booksapi-hostile-")
        self.port = int(env.pop("PORT", free_port()))
        self.log_path = os.path.join(self.data, "server.log")
        environment = {"PATH": "/usr/bin:/bin", "HOST": "127.0.0.1", "PORT": str(self.port), "DATA_DIR": self.data + "/store",
                       "LOG_LEVEL": "warn", "STATIC_DIR": "/nonexistent", **env}
        self.log_file = open(self.log_path, "wb")
        self.process = subprocess.Popen([BINARY], cwd=ROOT, env=environment, stdout=self.log_file, stderr=subprocess.STDOUT)
        if wait:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError("the server exited %d: %s" % (self.process.returncode, self.log))
                try:
                    socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                    return
                except OSError:
                    time.sleep(0.01)
            raise RuntimeError("the server did not start: " + self.log)

    @property
    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)
        self.log_file.close()
        shutil.rmtree(self.data, ignore_errors=True)

    def connect(self, source=None, timeout=5):
        s = socket.socket()
        s.settimeout(timeout)
        if source:
            s.bind((source, 0))
        s.connect(("127.0.0.1", self.port))
        return s


def exchange(s, raw, until_close=True):
    """Sends raw bytes; returns everything read until the server closes (or one response)."""
    s.sendall(raw)
    data = b""
    while True:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        data += chunk
        if not until_close and b"\r\n\r\n" in data:
            head, _, body = data.partition(b"\r\n\r\n")
            length = re.search(rb"Content-Length: (\d+)", head)
            if length and len(body) >= int(length.group(1)):
                break
    return data


def read_text(path):
    with open(path) as f:
        return f.read()


def status(response):
    return int(response.split(b" ", 2)[1]) if response.startswith(b"HTTP/1.1 ") else None


def get(server, path, headers=b"", source=None, timeout=5):
    with server.connect(source, timeout) as s:
        return exchange(s, b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + headers + b"\r\n")


class CrashRequestsTest(unittest.TestCase):
    """The requests that killed the process: each is answered and the server keeps serving."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server(STATIC_DIR=os.path.join(ROOT, "client-tier"))

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_signed_date_fields_are_no_date(self):
        for header in [b"If-Modified-Since: Sun, 06 Nov 1994 -999999999999999999:00:00 GMT",
                       b"If-Modified-Since: Sun, 06 Nov 1994 08:-99999999999999999:37 GMT",
                       b"If-Modified-Since: Sun, 06 Nov 9223372036854775807 08:49:37 GMT",
                       b"If-Modified-Since: Sun, 06 Nov 1994 +8:49:37 GMT"]:
            for path, method in [(b"/", b"GET"), (b"/inventory", b"HEAD"), (b"/app.css", b"GET")]:
                with self.server.connect() as s:
                    r = exchange(s, method + b" " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + header + b"\r\n\r\n")
                self.assertIn(status(r), (200, 404), (path, header, r[:200]))
        self.assertIsNone(self.server.process.poll(), "the server is alive")
        self.assertEqual(status(get(self.server, b"/healthz")), 200)

    def test_hostile_ranges_and_integers(self):
        thirty = b"9" * 30
        for header, expected in [(b"Range: bytes=-" + thirty, 206), (b"Range: bytes=" + thirty + b"-", 416),
                                 (b"Range: bytes=0-" + thirty, 206), (b"Range: bytes=+1-2", 200), (b"Range: bytes=-9223372036854775808", 206)]:
            self.assertEqual(status(get(self.server, b"/index.html", header + b"\r\n")), expected, header)
        for query in [b"skip=%2B1", b"limit=" + thirty, b"year_gte=-9223372036854775809", b"skip=-0"]:
            r = get(self.server, b"/books?" + query)
            self.assertEqual(status(r), 400, query)
            self.assertIn(b"application/problem+json", r)
        for length in [b"-1", b"+1", thirty, b"9223372036854775808"]:
            with self.server.connect() as s:
                r = exchange(s, b"POST /books HTTP/1.1\r\nHost: x\r\nContent-Length: " + length + b"\r\n\r\n")
            self.assertEqual(status(r), 400, length)
        self.assertIsNone(self.server.process.poll())

    def test_unknown_parameters_and_link_values(self):
        r = get(self.server, b"/books?author%5B%24ne%5D=x")
        self.assertEqual(status(r), 400)
        self.assertIn(b'unknown query parameter \\"author[$ne]\\"', r)
        r = get(self.server, b'/books?limit=2&q=%22%3E;,')
        link = re.search(rb"\r\nLink: ([^\r]*)", r).group(1)
        self.assertIn(b"q=%22%3E%3B%2C&", link, link)
        page = get(self.server, b"http://x?/books")
        self.assertEqual(status(page), 200, "the authority ends at ?: this is / with a query, the SPA's page")
        self.assertIn(b"<html", page.partition(b"\r\n\r\n")[2].lower(), "not the /books list")
        self.assertEqual(status(get(self.server, b"http://[::1")), 400)


class CORSTest(unittest.TestCase):
    def test_each_cors_header_once_and_vary_always(self):
        server = Server(CORS_ORIGINS="http://good.example")
        try:
            with server.connect() as s:
                r = exchange(s, b"OPTIONS /books HTTP/1.1\r\nHost: x\r\nConnection: close\r\nOrigin: http://good.example\r\n"
                                b"Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: authorization, content-type\r\n\r\n")
            head = r.partition(b"\r\n\r\n")[0].lower()
            for name in [b"access-control-allow-origin", b"vary", b"access-control-allow-methods", b"access-control-allow-headers"]:
                self.assertEqual(head.count(b"\r\n" + name + b":"), 1, (name, head))
            for origin in [b"http://good.example", b"http://evil.example", None]:
                r = get(server, b"/books?limit=1", b"Origin: " + origin + b"\r\n" if origin else b"")
                head = r.partition(b"\r\n\r\n")[0]
                self.assertEqual(head.count(b"\r\nVary: Origin"), 1, (origin, head))
                self.assertEqual(b"Access-Control-Allow-Origin: http://good.example" in head, origin == b"http://good.example")
            with server.connect() as s:  # a body over the route's cap: the browser must be able to read the 413
                r = exchange(s, b"POST /books HTTP/1.1\r\nHost: x\r\nOrigin: http://good.example\r\nContent-Type: application/json\r\n"
                                b"Content-Length: 300000\r\n\r\n")
            self.assertEqual(status(r), 413, r[:300])
            self.assertIn(b"Access-Control-Allow-Origin: http://good.example", r)
            self.assertIn(b"application/problem+json", r)
        finally:
            server.stop()


class DecideBeforeTheBodyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(API_TOKEN=TOKEN, MAX_CONNECTIONS_PER_CLIENT="0")

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_a_write_without_the_token_is_refused_unread(self):
        with self.server.connect() as s:
            started = time.monotonic()
            r = exchange(s, b"POST /books HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1048576\r\n\r\n")
            self.assertLess(time.monotonic() - started, 2, "answered at once, closed without waiting for the body")
        self.assertEqual(status(r), 401, r[:300])
        self.assertIn(b"Connection: close", r)

    def test_expect_continue_gets_401_not_100(self):
        with self.server.connect() as s:
            r = exchange(s, b"POST /books HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 20\r\n\r\n")
        self.assertTrue(r.startswith(b"HTTP/1.1 401"), r[:100])
        self.assertNotIn(b"100 Continue", r)

    def test_each_route_has_its_own_cap(self):
        auth = ("Authorization: Bearer %s\r\n" % TOKEN).encode()
        with self.server.connect() as s:
            r = exchange(s, b"POST /books HTTP/1.1\r\nHost: x\r\n" + auth + b"Content-Length: %d\r\n\r\n" % (16 * 16384 + 1))
        self.assertEqual(status(r), 413, r[:200])  # 16x MAX_DOCUMENT_BYTES: room for a batch, no more
        with self.server.connect() as s:
            r = exchange(s, b"PATCH /books/1 HTTP/1.1\r\nHost: x\r\n" + auth + b"Content-Length: %d\r\n\r\n" % (4 * 16384 + 1))
        self.assertEqual(status(r), 413, r[:200])  # one document: 4x
        with self.server.connect() as s:
            r = exchange(s, b"POST /cars HTTP/1.1\r\nHost: x\r\n" + auth + b"Content-Length: 8193\r\n\r\n")
        self.assertEqual(status(r), 413, r[:200])
        with self.server.connect() as s:
            r = exchange(s, b"GET /books HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
        self.assertEqual(status(r), 413)
        self.assertIn(b"takes no request body", r)

    def test_a_thousand_unauthenticated_megabyte_heads_stay_small(self):
        before = rss_mb(self.server.process.pid)
        head = b"POST /books HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1048576\r\n\r\n"
        sockets = []
        try:
            for _ in range(1000):
                s = self.server.connect(timeout=10)
                s.sendall(head)
                sockets.append(s)
            time.sleep(0.5)
            during = rss_mb(self.server.process.pid)
            answered = sum(1 for s in sockets[:50] if status(exchange(s, b"")) == 401)
        finally:
            for s in sockets:
                s.close()
        print("\nhostile: RSS %.1f MB before, %.1f MB with 1,000 unauthenticated 1 MiB POST heads" % (before, during))
        self.assertEqual(answered, 50, "each was refused with 401")
        self.assertLess(during, 60, "no body is buffered or reserved for a refused request")


class SlotsHeldHostageTest(unittest.TestCase):
    """MAX_CONNECTIONS=20 held by slow clients: a real client is still served within a second."""

    def hold(self, server, opening, count=20):
        held = []
        for _ in range(count):
            s = server.connect(timeout=10)
            s.sendall(opening)
            held.append(s)
        time.sleep(1.0)  # they are established well before the client comes, as an attacker's would be
        return held

    def served_within(self, server):
        started = time.monotonic()
        r = get(server, b"/healthz", timeout=5)
        return status(r), time.monotonic() - started

    def check(self, opening, what, trickle=None):
        server = Server(MAX_CONNECTIONS="20", MAX_CONNECTIONS_PER_CLIENT="0", HEADER_TIMEOUT="30", BODY_TIMEOUT="30")
        stop = threading.Event()
        try:
            held = self.hold(server, opening)
            if trickle:  # each held connection goes on sending a byte every 100 ms: alive, never done
                def drip():
                    while not stop.wait(0.1):
                        for s in held:
                            try:
                                s.send(trickle)
                            except OSError:
                                pass
                threading.Thread(target=drip, daemon=True).start()
                time.sleep(0.3)
            code, elapsed = self.served_within(server)
            print("\nhostile: with 20 slots held by %s, a new client was served in %.2f s" % (what, elapsed))
            self.assertEqual(code, 200)
            self.assertLess(elapsed, 1.0, what)
            stop.set()
            for s in held:
                s.close()
        finally:
            stop.set()
            server.stop()

    def test_one_byte_heads(self):
        self.check(b"G", "one-byte heads")

    def test_heads_whose_body_never_comes(self):
        self.check(b"POST /books HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n", "bodies that never come")

    def test_heads_trickling_a_byte_at_a_time(self):
        self.check(b"GET / HTTP/1.1\r\nX-A: ", "heads trickling in (slowloris)", trickle=b"a")

    def test_bodies_trickling_a_byte_at_a_time(self):
        self.check(b"POST /books HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n{",
                   "bodies trickling in", trickle=b" ")

    def test_refused_bodies_that_keep_coming(self):
        # Over the route's cap: answered 413 at once, then the connection lingers, discarding what
        # the client still sends. It holds no place a waiting client needs.
        self.check(b"POST /books HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{",
                   "refused bodies still being sent", trickle=b" ")

    def test_per_client_cap(self):
        server = Server(MAX_CONNECTIONS_PER_CLIENT="4")
        try:
            mine = [server.connect("127.0.0.2") for _ in range(4)]
            for s in mine:  # each answered once, so the server has accepted and counted all four (connect() returns at the handshake)
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                self.assertIn(b"200 OK", s.recv(4096))
            r = get(server, b"/healthz", source="127.0.0.2")
            self.assertEqual(status(r), 503, r[:200])
            self.assertIn(b"too many connections from this address", r)
            self.assertIn(b"Retry-After:", r)
            self.assertEqual(status(get(server, b"/healthz", source="127.0.0.3")), 200, "another address is not affected")
            mine.pop().close()
            time.sleep(0.1)
            self.assertEqual(status(get(server, b"/healthz", source="127.0.0.2")), 200, "a place freed is a place to take")
            for s in mine:
                s.close()
            metrics = get(server, b"/metrics")
            self.assertRegex(metrics.decode(), r"booksapi_http_connections_refused_total [1-9]")
        finally:
            server.stop()


class SecretsAndFilesTest(unittest.TestCase):
    def start_expecting_failure(self, **env):
        server = Server(wait=False, **env)
        code = server.process.wait(timeout=20)
        log = server.log
        server.stop()
        return code, log

    def test_unix_socket_never_replaces_a_file_or_follows_a_link(self):
        work = tempfile.mkdtemp(prefix="booksapi-sock-")
        try:
            regular = os.path.join(work, "regular")
            with open(regular, "w") as f:
                f.write("keep me")
            code, log = self.start_expecting_failure(UNIX_SOCKET=regular)
            self.assertNotEqual(code, 0)
            self.assertIn("exists and is not a socket", log)
            self.assertEqual(read_text(regular), "keep me", "the file was not deleted")
            link = os.path.join(work, "link")
            os.symlink(regular, link)
            code, log = self.start_expecting_failure(UNIX_SOCKET=link)
            self.assertNotEqual(code, 0)
            self.assertTrue(os.path.islink(link) and read_text(regular) == "keep me")
            path = os.path.join(work, "api.sock")
            server = Server(UNIX_SOCKET=path, UNIX_SOCKET_MODE="600")
            try:
                self.assertEqual(stat.S_IMODE(os.lstat(path).st_mode), 0o600, "the mode is the socket's from its creation")
                self.assertTrue(stat.S_ISSOCK(os.lstat(path).st_mode))
                code, log = self.start_expecting_failure(UNIX_SOCKET=path)
                self.assertIn("in use by a running server", log, "a live socket is never taken over")
            finally:
                server.process.kill()  # leaves a stale socket behind
                server.process.wait()
                server.stop()
            again = Server(UNIX_SOCKET=path)
            try:
                with socket.socket(socket.AF_UNIX) as s:
                    s.connect(path)
                    self.assertEqual(status(exchange(s, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")), 200,
                                     "a stale socket of a killed run is replaced")
            finally:
                again.stop()
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def test_data_is_private_to_the_servers_user(self):
        server = Server()
        try:
            store = server.data + "/store"
            self.assertEqual(stat.S_IMODE(os.stat(store).st_mode), 0o700)
            for name in os.listdir(store):
                self.assertEqual(stat.S_IMODE(os.stat(os.path.join(store, name)).st_mode), 0o600, name)
            self.assertIn("books.journal", os.listdir(store))
        finally:
            server.stop()

    def test_open_writes_are_announced_loudly(self):
        for env, warned in [({"HOST": "0.0.0.0"}, True), ({"HOST": "127.0.0.1"}, False), ({"HOST": "0.0.0.0", "API_TOKEN": TOKEN}, False)]:
            server = Server(**env)
            try:
                time.sleep(0.2)
                self.assertEqual("no API_TOKEN is set" in server.log, warned, (env, server.log))
            finally:
                server.stop()

    def test_secret_url_options_never_reach_the_log(self):
        port = free_port()  # nothing listens there
        server = Server(LOG_LEVEL="info", MONGODB_URL="mongodb://app:pw-in-url@127.0.0.1:%d/db?serverSelectionTimeoutMS=200"
                        "&authMechanismProperties=AWS_SESSION_TOKEN:tok-in-url&tlsCertificateKeyFilePassword=hunter2" % port)
        try:
            get(server, b"/books")
            time.sleep(0.5)
            log = server.log
            self.assertIn("MongoDB mongodb://***@127.0.0.1", log)
            for secret in ["hunter2", "pw-in-url", "tok-in-url"]:
                self.assertNotIn(secret, log)
        finally:
            server.stop()


if __name__ == "__main__":
    unittest.main()
