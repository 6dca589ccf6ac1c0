"""Issue 17: the dispatcher's fleet timeline in headless Chromium with real pointer drags (selenium
ActionChains), checked against the API after each gesture; and axe-core on every view. The
screenshots go to Tests/Browser/screenshots/ (the week view, a conflict, the phone's day view)."""
import datetime
import json
import os
import sys
import time
import unittest
import urllib.request

from axe_selenium_python import Axe
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_spa import BrowserTest  # noqa: E402

SCREENSHOTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "screenshots")
DAY = 86400


class FleetTimelineTest(BrowserTest):
    """The books tests' browser and server, with the sample fleet (rawdata/fleet-data-to-insert.js)
    and a few resources of its own, made here through the API."""
    server_environment = {"FLEET_SEED_FILE": "rawdata/fleet-data-to-insert.js"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        os.makedirs(SCREENSHOTS, exist_ok=True)
        cls.today = int(time.time()) // DAY * DAY
        cls.cars = [cls.api("POST", "/cars", {"name": "Car %s" % name})["id"] for name in "AB"]
        cls.lorry = cls.api("POST", "/lorries", {"name": "Lorry L"})["id"]

    @classmethod
    def api(cls, method, path, body=None):
        request = urllib.request.Request("http://127.0.0.1:%d%s" % (cls.port, path), method=method,
                                         data=None if body is None else json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request) as response:
            data = response.read()
            return json.loads(data) if data else None

    @classmethod
    def iso(cls, seconds):
        return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    def allocations(self, collection, resource):
        return self.api("GET", "/%s/%s/allocations?status=confirmed,tentative,cancelled" % (collection, resource))

    def open_timeline(self, preset="Day"):
        self.driver.set_window_size(1200, 900)
        self.driver.get(self.url("/inventory/cars"))
        self.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".fleet .lane[data-resource='%s']" % self.cars[0])))
        self.driver.find_element(By.XPATH, "//button[@data-preset='%s']" % preset.lower()).click()
        time.sleep(0.3)
        self.wait.until(lambda d: "Loading" not in d.find_element(By.CSS_SELECTOR, ".fleet-toolbar ~ p[role=status]").text)

    def lane(self, resource):
        return self.driver.find_element(By.CSS_SELECTOR, ".fleet .lane[data-resource='%s']" % resource)

    def x_of(self, lane, hour):
        """The offset from the lane's centre of `hour` o'clock today (the day view shows today, UTC)."""
        width = lane.size["width"]
        return int(width * hour / 24 - width / 2)

    def drag(self, lane, from_hour, to_hour, target=None, nudge=0):
        """A real pointer drag in the day view: press at `from_hour` on `lane` (`nudge` pixels
        aside), move in steps to `to_hour` on `target` (the same lane by default), release.
        Offsets are from the lanes' centres, as WebDriver measures them."""
        target = target or lane
        start = (self.x_of(lane, from_hour) + nudge, 0)
        chain = ActionChains(self.driver).move_to_element_with_offset(lane, *start).click_and_hold()
        for i in range(1, 6):
            hour = from_hour + (to_hour - from_hour) * i / 5
            chain.move_to_element_with_offset(target, self.x_of(target, hour) + nudge, 0)
        chain.release().perform()

    def bar(self, allocation_id):
        return self.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".booking[data-id='%s']" % allocation_id)))

    def test_7_drag_to_create_then_move_across_rows_then_resize(self):
        self.open_timeline("Day")
        self.drag(self.lane(self.cars[0]), 9, 12)
        dialog = self.wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "dialog.booking-dialog")))
        self.assertEqual(dialog.find_element(By.NAME, "from").get_attribute("value")[11:], self.local(9), "the form opens prefilled with the dragged times")
        dialog.find_element(By.XPATH, ".//button[text()='Book']").click()
        self.wait.until(lambda d: len(self.allocations("cars", self.cars[0])) == 1)
        made = self.allocations("cars", self.cars[0])[0]
        self.assertEqual((made["from"], made["to"]), (self.iso(self.today + 9 * 3600), self.iso(self.today + 12 * 3600)))
        self.bar(made["id"])
        self.driver.save_screenshot(os.path.join(SCREENSHOTS, "day-view.png"))

        # Move it two hours later, by its middle.
        self.drag(self.lane(self.cars[0]), 10.5, 12.5)
        self.wait.until(lambda d: self.allocations("cars", self.cars[0])[0]["from"] == self.iso(self.today + 11 * 3600))
        # Then down to Car B's row, keeping its times.
        self.bar(made["id"])
        self.drag(self.lane(self.cars[0]), 12.5, 12.5, target=self.lane(self.cars[1]))
        self.wait.until(lambda d: len(self.allocations("cars", self.cars[1])) == 1)
        self.assertEqual(self.allocations("cars", self.cars[0]), [], "moved across rows: it left Car A")
        moved = self.allocations("cars", self.cars[1])[0]
        self.assertEqual((moved["id"], moved["from"], moved["to"]), (made["id"], self.iso(self.today + 11 * 3600), self.iso(self.today + 14 * 3600)))

        # Resize by its right edge (three pixels inside it) from 14:00 to 16:00.
        self.bar(made["id"])
        self.drag(self.lane(self.cars[1]), 14, 16, nudge=-3)
        self.wait.until(lambda d: self.allocations("cars", self.cars[1])[0]["to"] == self.iso(self.today + 16 * 3600))
        self.assertEqual(self.allocations("cars", self.cars[1])[0]["from"], self.iso(self.today + 11 * 3600), "a resize keeps the start")

    def test_8_a_drag_onto_a_busy_slot_snaps_back_and_shows_the_conflict(self):
        lorry_booking = self.api("POST", "/lorries/%s/allocations" % self.lorry, {"from": self.iso(self.today + 13 * 3600), "to": self.iso(self.today + 15 * 3600), "allocation_type": "delivery"})
        mine = self.api("POST", "/lorries/%s/allocations" % self.lorry, {"from": self.iso(self.today + 6 * 3600), "to": self.iso(self.today + 8 * 3600), "allocation_type": "delivery"})
        self.open_timeline("Day")
        self.bar(mine["id"])
        self.drag(self.lane(self.lorry), 7, 14)
        self.wait.until(lambda d: "Not moved" in d.page_source)
        flashed = self.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".booking.flash[data-id='%s']" % lorry_booking["id"])))
        self.assertTrue(flashed.is_displayed(), "the allocation in the way flashes")
        self.driver.save_screenshot(os.path.join(SCREENSHOTS, "conflict.png"))
        self.assertEqual(self.api("GET", "/lorries/%s/allocations/%s" % (self.lorry, mine["id"]))["from"], self.iso(self.today + 6 * 3600), "the server refused: nothing moved")
        bar, lane = self.bar(mine["id"]), self.lane(self.lorry)
        self.assertLess(bar.location["x"] - lane.location["x"], lane.size["width"] * 0.3, "the booking snapped back to 06:00")

    def test_9_a_hold_is_striped_and_confirmed_from_its_dialog(self):
        hold = self.api("POST", "/cars/%s/allocations" % self.cars[0], {"from": self.iso(self.today + 18 * 3600), "to": self.iso(self.today + 20 * 3600), "allocation_type": "hire", "status": "tentative"})
        self.open_timeline("Week")
        bar = self.bar(hold["id"])
        self.assertIn("tentative", bar.get_attribute("class"))
        self.assertIn("repeating-linear-gradient", self.driver.execute_script("return getComputedStyle(arguments[0]).backgroundImage", bar), "holds are striped")
        self.driver.save_screenshot(os.path.join(SCREENSHOTS, "week-view.png"))
        bar.send_keys("\n")  # the keyboard path: Enter opens its dialog
        confirm = self.wait.until(EC.element_to_be_clickable((By.XPATH, "//dialog[@open]//button[text()='Confirm hold']")))
        self.assertIn("expires", self.driver.find_element(By.CSS_SELECTOR, "dialog[open]").text)
        confirm.click()
        self.wait.until(lambda d: self.api("GET", "/cars/%s/allocations/%s" % (self.cars[0], hold["id"]))["status"] == "confirmed")
        self.wait.until(lambda d: "tentative" not in self.bar(hold["id"]).get_attribute("class"))

    def test_95_free_between_highlights_the_free_rows_and_any_free_car_books_one(self):
        start, end = self.today + 3 * DAY + 9 * 3600, self.today + 3 * DAY + 10 * 3600  # 09:00-10:00 in three days
        self.open_timeline("Week")
        self.driver.execute_script("arguments[0].value = arguments[1]; arguments[2].value = arguments[3];",
                                   self.driver.find_element(By.NAME, "free_from"), self.local_input(start), self.driver.find_element(By.NAME, "free_to"), self.local_input(end))
        self.driver.find_element(By.XPATH, "//button[text()='Highlight free']").click()
        self.wait.until(lambda d: "free for the whole window" in d.find_element(By.CSS_SELECTOR, "p.notice").text)
        rows = self.api("GET", "/availability?from=%s&to=%s&limit=50" % (self.iso(start), self.iso(end)))
        expected = {r["resource"]["id"] for r in rows if not r["busy"]}
        shown = {e.get_attribute("data-resource") for e in self.driver.find_elements(By.CSS_SELECTOR, ".fleet .row.free")}
        self.assertEqual(shown, expected, "the free rows are the ones the server finds free")
        self.assertIn(self.cars[0], shown)
        self.driver.find_element(By.XPATH, "//button[text()='Book any free car']").click()
        dialog = self.wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "dialog.booking-dialog")))
        self.assertEqual(dialog.find_element(By.TAG_NAME, "h2").text, "Book any free car")
        self.assertFalse(dialog.find_element(By.NAME, "resource").is_displayed(), "the server picks the car")
        before = sum(len(r["busy"]) for r in rows)
        dialog.find_element(By.XPATH, ".//button[text()='Book']").click()
        self.wait.until(lambda d: not dialog.is_displayed())
        after = self.api("GET", "/availability?from=%s&to=%s&limit=50" % (self.iso(start), self.iso(end)))
        self.assertEqual(sum(len(r["busy"]) for r in after), before + 1, "one car was booked for the window")

    def local_input(self, seconds):
        """A datetime-local value for `seconds` (UTC) in the browser's zone."""
        return self.driver.execute_script("const d = new Date(arguments[0]); return new Date(d - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16)", seconds * 1000)

    def test_10_the_phone_day_view_scrolls_down_and_no_view_has_an_axe_violation(self):
        for path in ["/", "/inventory/cars"]:
            self.driver.set_window_size(1200, 900)
            self.driver.get(self.url(path))
            self.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "table tbody tr" if path == "/" else ".fleet .lane[data-resource]")))
            time.sleep(0.3)
            axe = Axe(self.driver)
            axe.inject()
            violations = axe.run()["violations"]
            self.assertEqual([(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in violations], [], "axe-core on %s" % path)
        self.driver.set_window_size(390, 844)
        self.driver.get(self.url("/inventory/cars"))
        grid = self.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".fleet.vertical")))
        self.assertEqual(self.driver.find_element(By.XPATH, "//button[@data-preset='day']").get_attribute("aria-pressed"), "true", "a phone opens on the day view")
        lane = self.lane(self.cars[0])
        self.assertGreater(lane.size["height"], 900, "time runs down the page, which scrolls")
        axe = Axe(self.driver)
        axe.inject()
        self.assertEqual([v["id"] for v in axe.run()["violations"]], [], "axe-core on the phone's day view")
        self.driver.execute_script("arguments[0].scrollIntoView()", self.driver.find_element(By.ID, "timeline-title"))
        self.driver.save_screenshot(os.path.join(SCREENSHOTS, "phone-day-view.png"))
        self.driver.set_window_size(1200, 900)

    def local(self, hour):
        """hh:mm of `hour` UTC today in the browser's zone (the form shows local time)."""
        offset = self.driver.execute_script("return new Date(arguments[0]).getTimezoneOffset()", (self.today + hour * 3600) * 1000)
        minutes = (hour * 60 - offset) % (24 * 60)
        return "%02d:%02d" % (minutes // 60, minutes % 60)


if __name__ == "__main__":
    unittest.main()
