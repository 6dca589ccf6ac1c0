"""CORS as a browser enforces it: a page served from one origin calls the API on another, in
headless Chromium. A listed origin can read and, with the token, write (its preflight passes); an
unlisted one is blocked, and its write never reaches the store. The outcome is read from the page.
A repeated Access-Control-Allow-Origin once made every cross-origin write fail (issue 12)."""
import http.server
import json
import os
import shutil
import sys
import tempfile
import threading
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_spa import ROOT, start_server, stop_server  # noqa: E402

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

TOKEN = "cors-browser-token"
SCREENSHOTS = os.path.join(ROOT, ".build", "screenshots")

# The page a cross-origin client would be: GET, then a token-bearing POST (which needs a preflight).
PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>cross-origin client</title></head>
<body><pre id="out">running</pre><script type="module">
const api = new URL(location).searchParams.get('api');
const out = {};
try { const r = await fetch(api + '/books?limit=1'); out.get = r.status; out.total = r.headers.get('X-Total-Count'); }
catch (e) { out.get = 'blocked'; }
try {
  const r = await fetch(api + '/books', { method: 'POST', body: JSON.stringify({ title: 'From ' + location.origin, author: 'CORS' }),
    headers: { 'Content-Type': 'application/json', 'Authorization': 'Bearer %s' } });
  out.post = r.status; out.location = r.headers.get('Location');
} catch (e) { out.post = 'blocked'; }
document.getElementById('out').textContent = JSON.stringify(out);
</script></body></html>""" % TOKEN


class PageHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = PAGE.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def page_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), PageHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class CrossOriginTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.listed, cls.unlisted = page_server(), page_server()
        cls.data = tempfile.mkdtemp(prefix="booksapi-cors-")
        cls.server, cls.port = start_server(cls.data, API_TOKEN=TOKEN, CORS_ORIGINS="http://127.0.0.1:%d" % cls.listed.server_port)
        options = webdriver.ChromeOptions()
        options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
        for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=900,300"):
            options.add_argument(flag)
        cls.driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
        os.makedirs(SCREENSHOTS, exist_ok=True)

    @classmethod
    def tearDownClass(cls):
        cls.driver.quit()
        stop_server(cls.server, cls.data)
        cls.listed.shutdown()
        cls.unlisted.shutdown()

    def outcome(self, page, name):
        self.driver.get("http://127.0.0.1:%d/cors.html?api=http://127.0.0.1:%d" % (page.server_port, self.port))
        WebDriverWait(self.driver, 20).until(lambda d: d.find_element(By.ID, "out").text != "running")
        self.driver.save_screenshot(os.path.join(SCREENSHOTS, "cors-%s.png" % name))
        return json.loads(self.driver.find_element(By.ID, "out").text)

    def titles(self):
        with urllib.request.urlopen("http://127.0.0.1:%d/books?author=CORS" % self.port) as r:
            return [b["title"] for b in json.load(r)]

    def test_a_listed_origin_reads_and_writes(self):
        result = self.outcome(self.listed, "listed")
        self.assertEqual(result["get"], 200, result)
        self.assertEqual(result["total"], "42", "exposed headers are readable")
        self.assertEqual(result["post"], 201, "the preflight passed and the write went through: %s" % result)
        self.assertTrue(result["location"].startswith("/books/"), result)
        self.assertIn("From http://127.0.0.1:%d" % self.listed.server_port, self.titles())

    def test_an_unlisted_origin_is_blocked(self):
        result = self.outcome(self.unlisted, "unlisted")
        self.assertEqual(result, {"get": "blocked", "post": "blocked"})
        self.assertNotIn("From http://127.0.0.1:%d" % self.unlisted.server_port, self.titles(), "its preflight failed, so no write was sent")


if __name__ == "__main__":
    unittest.main()
