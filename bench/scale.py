#!/usr/bin/env python3
"""The scale run (issue 14): cost against collection size, on the embedded store.

For 10k, 100k and 1M books from bench/generate_books.py: first start from the seed file (import),
restart (snapshot load plus journal tail), RSS after restart, the median time of each list shape,
/healthz p99 while 16 clients run substring searches, and the POST rate against the same at 42
books in the same run. Writes bench/results/scale.json, scale.md and scale.png (one line per
query shape: a flat line is a cost that does not grow with the data).

Usage: bench/scale [--sizes 10000,100000,1000000] [--repeat 15] [--fleet-cars 10000]
[--fleet-per-car 100] [--big-car 50000]; --sizes '' runs the fleet alone. Loopback only; stops by itself.
"""
import argparse
import http.client
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, ".build/release/BooksAPI")
WORK = os.path.join(ROOT, ".build/bench/scale")
RESULTS = os.path.join(ROOT, "bench/results")

SHAPES = [
    ("page of 8", "/books?limit=8"),
    ("deep skip, sorted", "/books?limit=8&skip={half}&sortdesc=title"),
    ("exact author, sorted", "/books?limit=8&author={author}&sortdesc=year"),
    ("read flag, sorted", "/books?limit=8&read=true&sortasc=title"),
    ("year range, sorted", "/books?limit=8&year_gte=2000&year_lte=2010&sortasc=score"),
    ("two-key sort", "/books?limit=8&sortasc=read&sortdesc=year"),
    ("q matching", "/books?limit=8&q=winter"),
    ("q matching nothing", "/books?limit=8&q=zzqqzz"),
]


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, data_dir, seed):
        self.port = free_port()
        env = dict(os.environ, DATA_DIR=data_dir, SEED_FILE=seed, FLEET_SEED_FILE="", PORT=str(self.port), HOST="127.0.0.1",
                   LOG_LEVEL="warn", STATIC_DIR="/nonexistent", MAX_CONNECTIONS_PER_CLIENT="0")
        self.started = time.monotonic()
        self.process = subprocess.Popen([BINARY], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.ready_after = self.wait_ready()

    def wait_ready(self, timeout=300):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                status, _, _ = get(self.port, "/books?limit=1")
                if status == 200:
                    return time.monotonic() - self.started
            except OSError:
                pass
            time.sleep(0.02)
        raise RuntimeError("server did not become ready")

    def rss_mb(self):
        with open(f"/proc/{self.process.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


def get(port, path, connection=None, method="GET", body=None):
    c = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json"} if body else {}
    c.request(method, path, body=body, headers=headers)
    r = c.getresponse()
    data = r.read()
    if connection is None:
        c.close()
    return r.status, r.getheader("X-Total-Count"), data


def median_ms(port, path, repeat):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    get(port, path, c)  # warm
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        status, _, _ = get(port, path, c)
        times.append((time.perf_counter() - t) * 1000)
        assert status == 200, (path, status)
    c.close()
    return statistics.median(times)


WRK_THREADS = 2


def wrk(port, path, seconds, connections, script=None):
    """wrk as the load (Python threads would queue on the GIL and blur the probe); returns its output.
    A script's `wrk.thread:stop()` ends a thread, but wrk's main thread sleeps out the duration
    anyway: once only the main thread is left, SIGINT wakes it to print its summary."""
    args = ["wrk", f"-t{WRK_THREADS}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script:
        args += ["-s", script]
    process = subprocess.Popen(args + [f"http://127.0.0.1:{port}{path}"], stdout=subprocess.PIPE, text=True)
    tasks, workers_seen = f"/proc/{process.pid}/task", False
    while process.poll() is None:
        time.sleep(0.2)
        try:
            count = len(os.listdir(tasks))
        except FileNotFoundError:
            break
        workers_seen = workers_seen or count > 1
        if workers_seen and count == 1:
            process.send_signal(signal.SIGINT)
            break
    out, _ = process.communicate()
    if process.returncode not in (0, -signal.SIGINT):
        raise RuntimeError(f"wrk exited with {process.returncode}")
    return out


def healthz_p99_under_search(port, seconds=6, clients=16):
    """/healthz, probed every 5 ms from this process, while wrk runs 16 connections of q searches."""
    load = subprocess.Popen(["wrk", "-t2", f"-c{clients}", f"-d{seconds}s", f"http://127.0.0.1:{port}/books?limit=8&q=winter"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    time.sleep(0.5)
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    samples = []
    stop = time.monotonic() + seconds - 1
    while time.monotonic() < stop:
        t = time.perf_counter()
        get(port, "/healthz", c)
        samples.append((time.perf_counter() - t) * 1000)
        time.sleep(0.005)
    out, _ = load.communicate()
    searches = float(out.split("Requests/sec:")[1].split()[0])
    samples.sort()
    return samples[int(len(samples) * 0.99) - 1], len(samples), searches


POST_SCRIPT = os.path.join(WORK, "post.lua")


def post_rate(port, seconds=5, connections=16):
    with open(POST_SCRIPT, "w") as f:
        f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                'wrk.body = \'{"title":"Scale test","author":"Bench Writer","year":2001,"score":5,"read":false}\'\n')
    out = wrk(port, "/books", seconds, connections, POST_SCRIPT)
    assert "Non-2xx" not in out, out
    return float(out.split("Requests/sec:")[1].split()[0])


def wait_snapshot(data_dir, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        names = os.listdir(data_dir)
        # A compaction in progress leaves an archived journal (books.journal.G) until its snapshot is in place.
        if not any(n.startswith("books.journal.") and n[len("books.journal."):].isdigit() for n in names):
            return
        time.sleep(0.1)


def seed_file(count):
    path = os.path.join(WORK, f"books-{count}.js")
    if not os.path.exists(path):
        subprocess.check_call([sys.executable, os.path.join(ROOT, "bench/generate_books.py"), str(count), path])
    return path


def run_size(count, repeat):
    seed = seed_file(count)
    data_dir = os.path.join(WORK, f"data-{count}")
    shutil.rmtree(data_dir, ignore_errors=True)
    json_mb = os.path.getsize(seed) / 1e6
    first = Server(data_dir, seed)
    import_s = first.ready_after
    wait_snapshot(data_dir)
    first.stop()
    server = Server(data_dir, seed)
    row = {"books": count, "json_mb": json_mb, "import_s": import_s, "restart_s": server.ready_after, "rss_mb": server.rss_mb()}
    status, total, data = get(server.port, "/books?limit=1&skip=7")
    author = json.loads(data)[0]["author"].replace(" ", "%20")
    for name, template in SHAPES:
        row[name] = median_ms(server.port, template.format(half=count // 2, author=author), repeat)
    row["healthz_p99_ms"], row["healthz_samples"], row["searches_per_s"] = healthz_p99_under_search(server.port)
    row["post_rate"] = post_rate(server.port)
    server.stop()
    shutil.rmtree(data_dir, ignore_errors=True)
    return row


def small_post_rate():
    data_dir = os.path.join(WORK, "data-42")
    shutil.rmtree(data_dir, ignore_errors=True)
    server = Server(data_dir, os.path.join(ROOT, "rawdata/book-data-to-insert.js"))
    rate = post_rate(server.port)
    server.stop()
    shutil.rmtree(data_dir, ignore_errors=True)
    return rate


FLEET_EPOCH = 1893456000  # 2030-01-01T00:00:00Z: every booking is in the future


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def booking_script(ids, name, total, start_slot=0, slot_seconds=3600):
    """wrk Lua: every request books a distinct (car, slot): request n books car n mod N, slot
    n div N, an hour long, back to back. wrk gives each thread its own Lua state, so thread t takes
    n = t, t + 2, t + 4, ...; each stops after its share of `total` answers (a few more may be in
    flight). Any answer but 201 is counted, so a bench that books over itself shows."""
    path = os.path.join(WORK, name)
    with open(path, "w") as f:
        f.write("local ids = {%s}\n" % ", ".join('"%s"' % i for i in ids))
        f.write("""local threads, total = %d, %d
local started = 0
function setup(thread) thread:set("tid", started); started = started + 1 end
local n, answers, refused = nil, 0, 0
request = function()
  n = (n or tid - threads) + threads
  local id = ids[(n %% #ids) + 1]
  local from = %d + (%d + math.floor(n / #ids)) * %d
  local body = string.format('{"from":"%%s","to":"%%s","allocation_type":"hire"}',
    os.date("!%%Y-%%m-%%dT%%H:%%M:%%SZ", from), os.date("!%%Y-%%m-%%dT%%H:%%M:%%SZ", from + %d))
  return wrk.format("POST", "/cars/" .. id .. "/allocations", {["Content-Type"] = "application/json"}, body)
end
response = function(status)
  answers = answers + 1
  if status ~= 201 then refused = refused + 1; if refused <= 3 then io.stderr:write("booking answered " .. status .. "\\n") end end
  if answers * threads >= total then wrk.thread:stop() end
end
""" % (WRK_THREADS, total, FLEET_EPOCH, start_slot, slot_seconds, slot_seconds))
    return path


def post_json(port, path, body, connection):
    status, _, data = get(port, path, connection, method="POST", body=json.dumps(body))
    return status, data


def run_fleet(cars, per_car, big_allocations, repeat):
    """10,000 cars with about 100 bookings each, and one car with 50,000 (issue 14's busy fleet)."""
    data_dir = os.path.join(WORK, "data-fleet")
    shutil.rmtree(data_dir, ignore_errors=True)
    server = Server(data_dir, "/nonexistent-seed")
    c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    ids = [json.loads(post_json(server.port, "/cars", {"name": "car %05d" % i}, c)[1])["id"] for i in range(cars)]
    big = json.loads(post_json(server.port, "/cars", {"name": "the busy one"}, c)[1])["id"]
    started = time.monotonic()
    # wrk stops each script after its count; the duration is only a cap.
    out = wrk(server.port, "/", 600, 16, booking_script([big], "big.lua", big_allocations, slot_seconds=1800))
    out = wrk(server.port, "/", 1200, 16, booking_script(ids, "fleet.lua", cars * per_car))
    booking_rate = float(out.split("Requests/sec:")[1].split()[0])
    c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)  # the old one idled past IDLE_TIMEOUT during wrk
    row = {"cars": cars, "fill_s": time.monotonic() - started, "fleet_booking_rate": booking_rate}
    status, total, data = get(server.port, f"/cars/{big}/allocations?from={iso(FLEET_EPOCH)}&to={iso(FLEET_EPOCH + 10**9)}", c)
    row["big_car_allocations"] = int(total)
    status, _, data = get(server.port, f"/cars/{ids[0]}/allocations", c)
    row["allocations_per_car"] = len(json.loads(data))
    busy = f"/cars?limit=8&available_from={iso(FLEET_EPOCH + 3600 * 10)}&available_to={iso(FLEET_EPOCH + 3600 * 12)}"
    free = f"/cars?limit=8&available_from={iso(FLEET_EPOCH + 3600 * 10**5)}&available_to={iso(FLEET_EPOCH + 3600 * (10**5 + 2))}"
    row["availability search, busy window (ms)"] = median_ms(server.port, busy, repeat)
    row["availability search, free window (ms)"] = median_ms(server.port, free, repeat)
    week = f"from={iso(FLEET_EPOCH + 86400 * 3)}&to={iso(FLEET_EPOCH + 86400 * 10)}"
    row["GET /availability, 50 cars over a week (ms)"] = median_ms(server.port, f"/availability?types=car&limit=50&{week}", repeat)
    row["GET /availability, the same at skip=9000 (ms)"] = median_ms(server.port, f"/availability?types=car&limit=50&skip=9000&{week}", repeat)
    day = f"/cars/{big}/allocations?from={iso(FLEET_EPOCH + 86400 * 100)}&to={iso(FLEET_EPOCH + 86400 * 101)}"
    row["one day of the busy car's allocations (ms)"] = median_ms(server.port, day, repeat)
    times = []
    for i in range(200):  # bookings on the busy car, past its last one
        t = time.perf_counter()
        status, _ = post_json(server.port, f"/cars/{big}/allocations",
                              {"from": iso(FLEET_EPOCH + 10**8 + i * 3600), "to": iso(FLEET_EPOCH + 10**8 + i * 3600 + 1800), "allocation_type": "hire"}, c)
        times.append((time.perf_counter() - t) * 1000)
        assert status == 201, status
    row["booking on the busy car, p50 (ms)"] = statistics.median(times)
    row.update(booking_changes(server.port, ids, c))
    server.stop()
    again = Server(data_dir, "/nonexistent-seed")
    row["fleet restart (s)"] = again.ready_after
    row["fleet RSS after restart (MB)"] = again.rss_mb()
    again.stop()
    shutil.rmtree(data_dir, ignore_errors=True)
    return row


def timed(call, rounds=200):
    """Median milliseconds of `call(i)` over `rounds`; each call must answer as expected itself."""
    times = []
    for i in range(rounds):
        t = time.perf_counter()
        call(i)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def booking_changes(port, ids, c):
    """Issue 17 on the full fleet: PATCH resize and move (each car has ~100 bookings), a move to
    another car, and "any free car" (POST /cars/allocations), which weighs every free car."""
    far = FLEET_EPOCH + 10**8  # past every wrk booking
    made = [json.loads(post_json(port, f"/cars/{car}/allocations", {"from": iso(far), "to": iso(far + 3600), "allocation_type": "hire"}, c)[1])["id"]
            for car in ids[:2]]

    def patch(path, body):
        status, _, data = get(port, path, c, method="PATCH", body=json.dumps(body))
        assert status == 200, (status, data)

    def resize(i):
        patch(f"/cars/{ids[0]}/allocations/{made[0]}", {"to": iso(far + 3600 + (i % 2) * 1800)})

    def move(i):  # back and forth between two cars
        source, target = (ids[1], ids[2]) if i % 2 == 0 else (ids[2], ids[1])
        patch(f"/cars/{source}/allocations/{made[1]}", {"resource_id": target})

    def any_car(i):
        status, data = post_json(port, "/cars/allocations", {"from": iso(far + 86400 * (i + 1)), "to": iso(far + 86400 * (i + 1) + 3600), "allocation_type": "hire"}, c)
        assert status == 201, (status, data)

    return {"PATCH resize on a car with ~100 bookings, p50 (ms)": timed(resize), "PATCH move to another car, p50 (ms)": timed(move),
            "POST /cars/allocations (any free car of 10,000), p50 (ms)": timed(any_car, 50)}


def render(summary):
    rows = summary["rows"]
    lines = []
    if rows:
        lines = ["| measure | " + " | ".join(f"{r['books']:,} books" for r in rows) + " |", "|---" * (len(rows) + 1) + "|"]
        def line(label, key, fmt):
            lines.append(f"| {label} | " + " | ".join(fmt.format(r[key]) for r in rows) + " |")
        line("seed file (MB)", "json_mb", "{:.0f}")
        line("import: first start from the seed file (s)", "import_s", "{:.1f}")
        line("restart (s)", "restart_s", "{:.2f}")
        line("RSS after restart (MB)", "rss_mb", "{:.0f}")
        for name, _ in SHAPES:
            line(f"{name} (ms, median)", name, "{:.2f}")
        line("/healthz p99 under 16 searching clients (ms)", "healthz_p99_ms", "{:.2f}")
        line("searches per second meanwhile", "searches_per_s", "{:.0f}")
        line("POST /books per second (wrk, 16 connections)", "post_rate", "{:.0f}")
        lines.append(f"\nPOST /books at 42 books in the same run: {summary['post_rate_42']:.0f}/s; at {rows[-1]['books']:,} books it is "
                     f"{rows[-1]['post_rate'] / summary['post_rate_42']:.2f}× that.")
    fleet = summary.get("fleet")
    if fleet:
        lines.append(f"\nThe fleet: {fleet['cars']:,} cars with {fleet['allocations_per_car']} allocations each (booked by wrk at "
                     f"{fleet['fleet_booking_rate']:.0f}/s), and one car with {fleet['big_car_allocations']:,}.\n")
        lines.append("| fleet measure | value |")
        lines.append("|---|---|")
        for key, value in fleet.items():
            if key.endswith("(ms)") or key.endswith("(s)") or key.endswith("(MB)"):
                lines.append(f"| {key} | {value:.2f} |")
    return "\n".join(lines) + "\n"


def chart(summary, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    rows = summary["rows"]
    sizes = [r["books"] for r in rows]
    fig, ax = plt.subplots(figsize=(8, 5))
    for name, _ in SHAPES:
        ax.plot(sizes, [r[name] for r in rows], marker="o", label=name)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("books in the store")
    ax.set_ylabel("median latency of one page of 8 (ms)")
    ax.set_title("BooksAPI embedded store: cost against collection size")
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--fleet-cars", type=int, default=10000)
    parser.add_argument("--fleet-per-car", type=int, default=100, help="bookings per car, made by wrk")
    parser.add_argument("--big-car", type=int, default=50000)
    args = parser.parse_args()
    os.makedirs(WORK, exist_ok=True)
    os.makedirs(RESULTS, exist_ok=True)
    summary = {"post_rate_42": small_post_rate(), "rows": []}
    for count in [int(s) for s in args.sizes.split(",") if s]:
        print(f"scale: {count:,} books", flush=True)
        summary["rows"].append(run_size(count, args.repeat))
    write_results(summary)  # the books table, even if the fleet fails
    if args.fleet_cars:
        print(f"scale: a fleet of {args.fleet_cars:,} cars", flush=True)
        summary["fleet"] = run_fleet(args.fleet_cars, args.fleet_per_car, args.big_car, args.repeat)
    print(write_results(summary))


def write_results(summary):
    """scale.{json,md,png}; a fleet-only run (`--sizes ''`) writes fleet.{json,md} instead."""
    name = "scale" if summary["rows"] else "fleet"
    with open(os.path.join(RESULTS, name + ".json"), "w") as f:
        json.dump(summary, f, indent=2)
    table = render(summary)
    with open(os.path.join(RESULTS, name + ".md"), "w") as f:
        f.write(table)
    if summary["rows"]:
        chart(summary, os.path.join(RESULTS, "scale.png"))
    return table


if __name__ == "__main__":
    main()
