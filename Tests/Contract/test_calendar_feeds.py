"""Issue 17: the calendar feeds (RFC 5545 iCalendar, RFC 7986 refresh) parsed with the icalendar
package, against the real binary with reads behind a token, so the feed token is exercised too."""
import datetime
import http.client
import json
import os
import subprocess
import tempfile
import time
import unittest
import urllib.parse

import icalendar

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BINARY = os.environ.get("BOOKSAPI_BINARY", os.path.join(ROOT, ".build", "debug", "BooksAPI"))
TOKEN = "calendar-test-token"
ENV = {"PATH": "/usr/bin:/bin", "HOST": "127.0.0.1", "PORT": "0", "API_TOKEN": TOKEN, "READS_REQUIRE_TOKEN": "true", "LOG_LEVEL": "info"}


class CalendarFeedTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        cls.log = open(os.path.join(cls.dir.name, "log"), "w+")
        env = dict(ENV, DATA_DIR=os.path.join(cls.dir.name, "data"), STATIC_DIR=os.path.join(cls.dir.name, "none"))
        cls.server = subprocess.Popen([BINARY], env=env, stdout=cls.log, stderr=subprocess.STDOUT, cwd=ROOT)
        for _ in range(200):
            cls.log.seek(0)
            text = cls.log.read()
            if "listening on http://" in text:
                cls.port = int(text.split("listening on http://127.0.0.1:")[1].split()[0].strip("/,"))
                return
            time.sleep(0.05)
        raise RuntimeError("the server did not start: " + text)

    @classmethod
    def tearDownClass(cls):
        cls.server.terminate()
        cls.server.wait(10)
        cls.log.close()
        cls.dir.cleanup()

    def call(self, method, path, body=None, auth=True):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if auth:
            headers["Authorization"] = "Bearer " + TOKEN
        connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = connection.getresponse()
        data = response.read()
        connection.close()
        return response.status, dict(response.getheaders()), data

    def make_car(self, name):
        status, _, data = self.call("POST", "/cars", {"name": name})
        self.assertEqual(status, 201, data)
        return json.loads(data)["id"]

    def book(self, car, start, end, **extra):
        status, _, data = self.call("POST", "/cars/%s/allocations" % car, dict({"from": start, "to": end, "allocation_type": "hire"}, **extra))
        self.assertEqual(status, 201, data)
        return json.loads(data)

    def feed_path(self, path):
        out = subprocess.run([BINARY, "feed-url", path], env=dict(ENV, DATA_DIR=self.dir.name), capture_output=True, text=True, cwd=ROOT, check=True)
        return out.stdout.strip()

    def parse(self, data):
        calendar = icalendar.Calendar.from_ical(data)
        for component in calendar.walk():
            self.assertEqual(component.errors, [], component.name)
        return calendar

    def test_a_resource_feed(self):
        car = self.make_car("Van, \"7\"; ünïcode")
        text = "Pick up at depot; gate B,\nthen call back \\ " + "long " * 30
        confirmed = self.book(car, "2027-01-05T09:00:00Z", "2027-01-05T17:30:00Z", description=text)
        hold = self.book(car, "2027-01-06T09:00:00Z", "2027-01-06T10:00:00Z", status="tentative")
        gone = self.book(car, "2027-01-07T09:00:00Z", "2027-01-07T10:00:00Z")
        status, _, _ = self.call("PATCH", "/cars/%s/allocations/%s" % (car, gone["id"]), {"status": "cancelled", "cancel_reason": "no show"})
        self.assertEqual(status, 200)
        open_ended = self.book(car, "2027-01-08T00:00:00Z", None, allocation_type="lease")

        path = "/cars/%s/allocations.ics" % car
        status, _, _ = self.call("GET", path, auth=False)
        self.assertEqual(status, 401, "reads need a token, and a calendar cannot send one: the feed token is the way")
        status, _, _ = self.call("GET", path + "?feed_token=" + "0" * 64, auth=False)
        self.assertEqual(status, 401)
        url = self.feed_path(path)
        self.assertTrue(url.startswith(path + "?feed_token="), url)
        other = self.make_car("Other")
        status, _, _ = self.call("GET", "/cars/%s/allocations.ics?%s" % (other, url.split("?")[1]), auth=False)
        self.assertEqual(status, 401, "a feed token opens its own feed only")
        status, _, _ = self.call("GET", "/cars/%s?%s" % (car, url.split("?")[1]), auth=False)
        self.assertEqual(status, 401, "and no other route")

        status, headers, data = self.call("GET", url + "&from=2027-01-01T00:00:00Z&to=2027-02-01T00:00:00Z", auth=False)
        self.assertEqual(status, 200, data)
        self.assertEqual(headers["Content-Type"], "text/calendar; charset=utf-8")
        lines = data.split(b"\r\n")
        self.assertEqual(lines[-1], b"", "every line ends with CRLF")
        self.assertTrue(all(len(line) <= 75 for line in lines), "folded at 75 octets")
        self.assertNotIn(b"\n", data.replace(b"\r\n", b""), "no bare LF")
        calendar = self.parse(data)
        self.assertEqual(str(calendar["VERSION"]), "2.0")
        self.assertEqual(calendar["REFRESH-INTERVAL"].dt, datetime.timedelta(minutes=15))
        self.assertIn("Van", str(calendar["NAME"]))
        events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
        self.assertEqual(set(events), {a["id"] + "@booksapi" for a in (confirmed, hold, gone, open_ended)})
        first = events[confirmed["id"] + "@booksapi"]
        self.assertEqual(first["DTSTART"].dt, datetime.datetime(2027, 1, 5, 9, 0, tzinfo=datetime.timezone.utc))
        self.assertEqual(first["DTEND"].dt, datetime.datetime(2027, 1, 5, 17, 30, tzinfo=datetime.timezone.utc))
        self.assertEqual(str(first["STATUS"]), "CONFIRMED")
        self.assertTrue(str(first["DESCRIPTION"]).startswith(text), "TEXT escaping round-trips commas, semicolons, newlines and backslashes")
        self.assertEqual(str(first["SUMMARY"]), "hire · Van, \"7\"; ünïcode")
        self.assertEqual(str(events[hold["id"] + "@booksapi"]["STATUS"]), "TENTATIVE")
        self.assertEqual(str(events[gone["id"] + "@booksapi"]["STATUS"]), "CANCELLED")
        self.assertIn("no show", str(events[gone["id"] + "@booksapi"]["DESCRIPTION"]))
        lease = events[open_ended["id"] + "@booksapi"]
        self.assertEqual(lease["DTEND"].dt, datetime.datetime(2027, 2, 1, tzinfo=datetime.timezone.utc), "an open end is cut to the feed's window")
        self.assertIn("until further notice", str(lease["DESCRIPTION"]))
        status, headers2, again = self.call("GET", url + "&from=2027-01-01T00:00:00Z&to=2027-02-01T00:00:00Z", auth=False)
        self.assertEqual(again, data, "the same bytes until something changes")
        self.assertEqual(headers2["ETag"], headers["ETag"])

    def test_the_fleet_feed_follows_a_move(self):
        a, b = self.make_car("Fleet A"), self.make_car("Fleet B")
        booking = self.book(a, "2027-03-01T08:00:00Z", "2027-03-01T09:00:00Z")
        other = self.book(b, "2027-03-02T08:00:00Z", "2027-03-02T09:00:00Z")
        url = self.feed_path("/cars/allocations.ics")
        window = "&from=2027-03-01T00:00:00Z&to=2027-03-03T00:00:00Z"
        status, _, data = self.call("GET", url + window, auth=False)
        self.assertEqual(status, 200, data)
        before = {str(e["UID"]): str(e["SUMMARY"]) for e in self.parse(data).walk("VEVENT")}
        ours = {booking["id"] + "@booksapi", other["id"] + "@booksapi"}
        self.assertLessEqual(ours, set(before), "every car's bookings in one feed")
        self.assertEqual(before[booking["id"] + "@booksapi"], "hire · Fleet A")
        status, _, _ = self.call("PATCH", "/cars/%s/allocations/%s" % (a, booking["id"]), {"resource_id": b, "from": "2027-03-01T10:00:00Z", "to": "2027-03-01T11:00:00Z"})
        self.assertEqual(status, 200)
        status, _, data = self.call("GET", url + window, auth=False)
        after = {str(e["UID"]): e for e in self.parse(data).walk("VEVENT")}
        self.assertEqual(set(after), set(before), "a move keeps the UID, so a subscriber updates the event in place")
        moved = after[booking["id"] + "@booksapi"]
        self.assertEqual(str(moved["SUMMARY"]), "hire · Fleet B")
        self.assertEqual(moved["DTSTART"].dt.hour, 10)


if __name__ == "__main__":
    unittest.main()
