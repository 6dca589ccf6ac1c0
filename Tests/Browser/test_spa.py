"""The single-page app in a real browser: Debian's headless Chromium, driven by selenium, against
the real server (embedded store, a fresh data directory, the 42 sample books)."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("BOOKSAPI_BINARY", os.path.join(ROOT, ".build", "debug", "BooksAPI"))


def log_file(data_dir):
    return data_dir.rstrip("/") + ".log"


def start_server(data_dir, **extra):
    """Starts the server with its log in a file beside the data directory (a pipe nobody reads
    would fill and stall the server's log writer), and returns it with its port."""
    env = {"PATH": "/usr/bin:/bin", "HOST": "127.0.0.1", "PORT": "0", "DATA_DIR": data_dir, "LOG_LEVEL": "info", "FLEET_SEED_FILE": "",
           "STATIC_DIR": os.path.join(ROOT, "client-tier"), **extra}
    log_path = log_file(data_dir)
    with open(log_path, "wb") as log:
        process = subprocess.Popen([BINARY], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with open(log_path, encoding="utf-8", errors="replace") as log:
            match = re.search(r"listening on http://[^:]+:(\d+)", log.read())
        if match:
            return process, int(match.group(1))
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    with open(log_path, encoding="utf-8", errors="replace") as log:
        raise RuntimeError("the server did not start:\n" + log.read())


def stop_server(process, data_dir):
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=20)
    shutil.rmtree(data_dir, ignore_errors=True)
    try:
        os.remove(log_file(data_dir))
    except FileNotFoundError:
        pass


def open_browser():
    """Headless Chromium, and a wait for it. A first Chromium start can be slow. The page
    re-renders as answers arrive, so an element found a moment ago can be replaced before it is
    read: such a probe is simply repeated."""
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1200,900"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
    return driver, WebDriverWait(driver, 20, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException))


class BrowserTest(unittest.TestCase):
    """A fresh server (embedded store, the 42 sample books) and one browser for the class."""
    server_environment = {}

    @classmethod
    def setUpClass(cls):
        cls.data = tempfile.mkdtemp(prefix="booksapi-browser-")
        cls.server, cls.port = start_server(cls.data, **cls.server_environment)
        cls.driver, cls.wait = open_browser()

    @classmethod
    def tearDownClass(cls):
        cls.driver.quit()
        stop_server(cls.server, cls.data)

    def url(self, path="/"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def rows(self):
        return self.driver.find_elements(By.CSS_SELECTOR, "table tbody tr")

    def wait_for_text(self, selector, text):
        self.wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, selector), text))

    def open_books(self):
        self.driver.get(self.url("/"))
        self.wait_for_text("#books-summary", "of 42")


class SinglePageAppTest(BrowserTest):


    def test_1_first_page_and_paging(self):
        self.open_books()
        self.assertEqual(len(self.rows()), 8)
        self.assertEqual(self.rows()[0].find_elements(By.TAG_NAME, "td")[1].text, "Algis Budrys", "sorted by author")
        self.assertEqual(self.driver.find_element(By.ID, "books-summary").text, "1–8 of 42")
        self.driver.find_element(By.XPATH, "//button[text()='Next']").click()
        self.wait_for_text("#books-summary", "9–16 of 42")
        self.driver.find_element(By.XPATH, "//button[text()='First']").click()
        self.wait_for_text("#books-summary", "1–8 of 42")
        self.driver.find_element(By.XPATH, "//th/button[text()='Year']").click()
        self.wait.until(lambda d: d.find_element(By.XPATH, "//th[button[text()='Year']]").get_attribute("aria-sort") == "ascending")

    def test_2_search(self):
        self.open_books()
        self.driver.find_element(By.CSS_SELECTOR, "input[type=search]").send_keys("triffids")
        self.wait.until(lambda d: len(self.rows()) == 1)
        self.assertIn("The Day of the Triffids", self.rows()[0].text)

    def test_3_add_with_a_validation_error_then_edit_and_delete(self):
        self.open_books()
        self.driver.find_element(By.XPATH, "//button[text()='Add book']").click()
        dialog = self.driver.find_element(By.TAG_NAME, "dialog")
        dialog.find_element(By.NAME, "title").send_keys("Selenium Days")
        dialog.find_element(By.XPATH, ".//button[text()='Save']").click()
        self.wait_for_text("[data-error-for=author]", "author must not be empty")  # the API's 422, at the field
        dialog.find_element(By.NAME, "author").send_keys("A. Tester")
        dialog.find_element(By.XPATH, ".//button[text()='Save']").click()
        self.wait.until(lambda d: not dialog.is_displayed())
        search = self.driver.find_element(By.CSS_SELECTOR, "input[type=search]")
        search.send_keys("Selenium Days")
        self.wait.until(lambda d: len(self.rows()) == 1 and "A. Tester" in self.rows()[0].text)
        self.rows()[0].find_element(By.XPATH, ".//button[text()='Edit']").click()
        title = dialog.find_element(By.NAME, "title")
        title.clear()
        title.send_keys("Selenium Nights")
        dialog.find_element(By.XPATH, ".//button[text()='Save']").click()
        search.clear()
        search.send_keys("Selenium Nights")
        self.wait.until(lambda d: len(self.rows()) == 1)
        self.rows()[0].find_element(By.XPATH, ".//button[text()='Delete']").click()
        self.wait.until(EC.alert_is_present()).accept()
        self.wait_for_text("main p[role=status]", "No books match.")

    def test_4_inventory_booking_and_conflict(self):
        """The form path (keyboard and screen readers): add a car, book it twice from the "New
        booking" dialog, and a third, overlapping booking is refused with the conflict named."""
        self.driver.get(self.url("/inventory/cars"))
        name = self.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "section[aria-labelledby=resources-title] input[name=name]")))
        name.send_keys("Selenium car")
        self.driver.find_element(By.XPATH, "//button[text()='Add car']").click()
        self.wait.until(EC.presence_of_element_located((By.XPATH, "//ul[@class='resources']/li[.//span[text()='Selenium car']]")))
        day = time.strftime("%Y-%m-%d", time.localtime())
        slots = [("10:00", "12:00"), ("12:00", "14:00"), ("11:00", "13:00")]
        for index, (start, end) in enumerate(slots):
            self.driver.find_element(By.XPATH, "//button[text()='New booking']").click()
            dialog = self.wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "dialog.booking-dialog")))
            self.wait.until(lambda d: "Selenium car" in dialog.find_element(By.NAME, "resource").text)
            select = dialog.find_element(By.NAME, "resource")
            self.driver.execute_script("for (const o of arguments[0].options) if (o.text.startsWith('Selenium car')) arguments[0].value = o.value;", select)
            self.driver.execute_script("arguments[0].value = arguments[1]; arguments[2].value = arguments[3];",
                                       dialog.find_element(By.NAME, "from"), "%sT%s" % (day, start), dialog.find_element(By.NAME, "to"), "%sT%s" % (day, end))
            dialog.find_element(By.XPATH, ".//button[text()='Book']").click()
            if index < 2:
                self.wait.until(lambda d: not dialog.is_displayed())
        self.wait.until(lambda d: "already allocated" in dialog.text)
        self.assertIn("2 conflicting allocations", dialog.text)
        dialog.find_element(By.XPATH, ".//button[text()='Cancel']").click()
        self.driver.find_element(By.XPATH, "//button[@data-preset='day']").click()
        # The row is drawn again as answers arrive: look it up afresh each time.
        row = "//div[@role='row'][.//div[@role='rowheader'][contains(., 'Selenium car')]]//div[contains(@class, 'booking')]"
        self.wait.until(lambda d: len(d.find_elements(By.XPATH, row)) == 2)

    def test_5_a_late_answer_never_overwrites_a_newer_page(self):
        """Two quick clicks on Next: the answer for page 2 is held back until after page 3's, as a
        slow connection would. The page must end on page 3, not on whichever answer came last."""
        self.open_books()
        self.driver.execute_script("""
            const original = window.fetch;
            window.heldBack = false;
            window.fetch = (url, init) => {
              if (!String(url).includes('skip=8&')) return original(url, init);
              // Held back 500 ms; once the page has read its body, a task queued after that read
              // runs only after the page's own continuation (microtasks) has handled the answer.
              return new Promise((resolve) => setTimeout(resolve, 500)).then(() => original(url, init)).then((response) => {
                const text = response.text.bind(response);
                response.text = () => text().then((body) => { setTimeout(() => { window.heldBack = true; }, 0); return body; });
                return response;
              });
            };""")
        next_page = self.driver.find_element(By.XPATH, "//button[text()='Next']")
        next_page.click()
        next_page.click()
        self.wait_for_text("#books-summary", "17–24 of 42")
        self.wait.until(lambda d: d.execute_script("return window.heldBack"))
        self.assertEqual(self.driver.find_element(By.ID, "books-summary").text, "17–24 of 42")
        with urllib.request.urlopen(self.url("/books?skip=16&limit=8&sortasc=author")) as response:
            page_three = [book["title"] for book in json.load(response)]
        self.assertEqual([row.find_element(By.TAG_NAME, "td").text for row in self.rows()], page_three)

    def test_6_error_state_when_the_server_is_stopped(self):
        self.open_books()
        self.server.terminate()
        self.server.wait(timeout=20)
        self.driver.find_element(By.XPATH, "//button[text()='Next']").click()
        self.wait.until(EC.visibility_of_element_located((By.ID, "status")))
        self.assertIn("not reachable", self.driver.find_element(By.ID, "status").text)
        self.assertIn("Could not load books", self.driver.find_element(By.CSS_SELECTOR, "main p[role=status]").text)


class WriteTokenTest(BrowserTest):
    """With API_TOKEN set, the first write that gets 401 asks for the token; it is kept in
    sessionStorage, so later writes go through without asking."""
    TOKEN = "browser-token-123"
    server_environment = {"API_TOKEN": TOKEN}

    def enter_token(self, token):
        dialog = self.wait.until(EC.visibility_of_element_located((By.ID, "token-dialog")))
        dialog.find_element(By.NAME, "token").send_keys(token)
        dialog.find_element(By.XPATH, ".//button[text()='Continue']").click()

    def test_write_asks_for_the_token_once(self):
        self.open_books()
        self.rows()[0].find_element(By.XPATH, ".//button[text()='Delete']").click()
        self.wait.until(EC.alert_is_present()).accept()
        self.enter_token("wrong-token")
        self.wait.until(lambda d: "not accepted" in d.find_element(By.ID, "token-dialog").text)
        self.enter_token(self.TOKEN)
        self.wait_for_text("#books-summary", "of 41")
        self.assertEqual(self.driver.execute_script("return sessionStorage.getItem('booksapi.token')"), self.TOKEN)
        self.rows()[0].find_element(By.XPATH, ".//button[text()='Delete']").click()
        self.wait.until(EC.alert_is_present()).accept()
        self.wait_for_text("#books-summary", "of 40")
        self.assertEqual(self.driver.find_elements(By.ID, "token-dialog"), [], "no second prompt")


if __name__ == "__main__":
    unittest.main()
