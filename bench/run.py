"""The benchmark (run it through bench/run, which installs and builds what it needs).

Starts, on loopback: BooksAPI (release) on the embedded store and on the MongoDB test server; the
original stack (bench/original: Flask + pymongo under gunicorn, 4 workers x 2 threads) on the same
MongoDB test server and data; Debian's nginx serving client-tier/; and bench/ceiling.c (the HTTP ceiling),
the least any HTTP server can do per request here, answering with the same bytes as each scenario.
Then it runs every scenario with wrk (or h2load --h1 for pipelining) against each system that has
it, and measures req/s, p50/p99, the server's CPU seconds per 1,000 requests (its whole process
tree) and its peak RSS. Writes bench/results/{results.json,table.md,chart.png}.
"""
import json
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "bench", "results")
BINARY = os.path.join(ROOT, ".build", "release", "BooksAPI")
CEILING = os.path.join(ROOT, ".build", "bench", "ceiling")
PYTHON = sys.executable
TICKS = os.sysconf("SC_CLK_TCK")
DURATION = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 10
IDLE_CONNECTIONS = 10_000


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port, path="/", timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=2).read()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("nothing answers on port %d" % port)


# MARK: process measurements

def tree(pid):
    """pid and all its descendants (gunicorn and nginx have workers)."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    result, todo = [], [pid]
    while todo:
        p = todo.pop()
        result.append(p)
        todo += children.get(p, [])
    return result


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except OSError:
            pass
    return total / TICKS


def rss_mb(pids):
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/status" % pid) as f:
                total += int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))
        except (OSError, AttributeError):
            pass
    return total / 1024


class PeakRSS(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pids, self.peak, self.done = tree(pid), 0.0, threading.Event()

    def run(self):
        while not self.done.is_set():
            self.peak = max(self.peak, rss_mb(self.pids))
            self.done.wait(0.1)

    def stop(self):
        self.done.set()
        self.join()
        return self.peak


# MARK: the systems

class System:
    def __init__(self, name, port, process, note=""):
        self.name, self.port, self.process, self.note = name, port, process, note

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_booksapi(name, work, **env):
    port = free_port()
    environment = {"PATH": "/usr/bin:/bin", "HOST": "127.0.0.1", "PORT": str(port), "LOG_LEVEL": "warn", "IO_THREADS": "2",
                   "DATA_DIR": os.path.join(work, name), "STATIC_DIR": os.path.join(ROOT, "client-tier"),
                   "MAX_CONNECTIONS": str(IDLE_CONNECTIONS + 2000), "IDLE_TIMEOUT": "600", **env}
    process = subprocess.Popen([BINARY], cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(port, "/healthz")
    return System(name, port, process)


def start_flask(mongodb_url):
    port = free_port()
    process = subprocess.Popen([os.path.join(os.path.dirname(PYTHON), "gunicorn"), "--workers", "4", "--threads", "2",
                                "--bind", "127.0.0.1:%d" % port, "--chdir", os.path.join(ROOT, "bench", "original"),
                                "--log-level", "warning", "BooksRestApp:app"],
                               env={**os.environ, "MONGODB_URL": mongodb_url}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(port, "/books/1")
    return System("flask+gunicorn", port, process, "4 workers x 2 threads")


def start_nginx(work):
    port = free_port()
    conf = os.path.join(work, "nginx.conf")
    with open(conf, "w") as f:
        f.write("""
worker_processes 2;
daemon off;
user root;
pid %(work)s/nginx.pid;
error_log %(work)s/nginx-error.log warn;
events { worker_connections 16384; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 10000000;
  keepalive_timeout 600;
  client_body_temp_path %(work)s/nginx-body;
  proxy_temp_path %(work)s/nginx-proxy;
  fastcgi_temp_path %(work)s/nginx-fastcgi;
  uwsgi_temp_path %(work)s/nginx-uwsgi;
  scgi_temp_path %(work)s/nginx-scgi;
  types { text/html html; text/javascript js; text/css css; }
  server {
    listen 127.0.0.1:%(port)d;
    root %(root)s/client-tier;
    location / { try_files $uri /index.html; }
  }
}
""" % {"work": work, "port": port, "root": ROOT})
    process = subprocess.Popen(["/usr/sbin/nginx", "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(port, "/index.html")
    return System("nginx", port, process, "Debian nginx, 2 workers, access_log off")


def start_ceiling(body_file):
    port = free_port()
    process = subprocess.Popen([CEILING, str(port), "2", body_file], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               restore_signals=False)
    wait_for(port)
    return System("ceiling", port, process, "bench/ceiling.c, 2 threads")


def start_mongo():
    process = subprocess.Popen([PYTHON, os.path.join(ROOT, "Tests", "MongoTestServer", "mongo_test_server.py"), "--port", "0"],
                               stdout=subprocess.PIPE, text=True)
    port = int(process.stdout.readline().split()[-1])
    return process, "mongodb://127.0.0.1:%d/bookdata" % port


# MARK: load generators

def wrk(port, path, connections=64, threads=1, script=None, duration=DURATION, args=()):
    command = ["wrk", "-t%d" % threads, "-c%d" % connections, "-d%ds" % duration, "--latency", "--timeout", "10s"]
    if script:
        command += ["-s", script]
    command.append("http://127.0.0.1:%d%s" % (port, path))
    if args:
        command += ["--", *args]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if "requests in" not in out or "Requests/sec" not in out:
        raise RuntimeError("wrk said: " + out)

    def latency(label):
        value, unit = re.search(r"^\s+%s\s+([\d.]+)(us|ms|s)\s*$" % label, out, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    requests = int(re.search(r"(\d+) requests in", out).group(1))
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), "p50": latency("50%"), "p99": latency("99%"),
            "requests": requests, "errors": errors}


def h2load(port, path, work, connections=64, pipeline=8, duration=DURATION):
    log = tempfile.mktemp(prefix="h2load-", suffix=".log", dir=work)
    out = subprocess.run(["h2load", "--h1", "-m%d" % pipeline, "-c%d" % connections, "-t1", "-D%d" % duration, "--warm-up-time=1",
                          "--log-file=" + log, "http://127.0.0.1:%d%s" % (port, path)], capture_output=True, text=True).stdout
    durations = []
    with open(log) as f:
        for line in f:
            parts = line.split("\t")
            if len(parts) >= 3:
                durations.append(int(parts[2]) / 1000.0)  # microseconds → ms
    durations.sort()
    done = re.search(r"requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored", out)
    rps = float(re.search(r"finished in [\d.]+m?s, ([\d.]+) req/s", out).group(1))
    os.unlink(log)
    quantile = lambda q: durations[min(len(durations) - 1, int(q * len(durations)))] if durations else float("nan")
    return {"rps": rps, "p50": quantile(0.5), "p99": quantile(0.99), "requests": int(done.group(1)) if done else len(durations),
            "errors": int(done.group(3)) + int(done.group(4)) if done else 0}


def measure(system, load):
    """Runs `load` (a function of the port) against a system after a short warm-up."""
    load(system.port, warm_up=True)
    pids = tree(system.process.pid)
    before = cpu_seconds(pids)
    sampler = PeakRSS(system.process.pid)
    sampler.start()
    result = load(system.port, warm_up=False)
    result["peak_rss_mb"] = sampler.stop()
    result["cpu_s_per_1000"] = (cpu_seconds(tree(system.process.pid)) - before) / max(1, result["requests"]) * 1000
    return result


def lua_scripts(work, car_ids):
    post = os.path.join(work, "post.lua")
    with open(post, "w") as f:
        f.write('wrk.method = "POST"\nwrk.body = \'{"title":"Bench","author":"wrk","year":2024}\'\n'
                'wrk.headers["Content-Type"] = "application/json"\n')
    mix = os.path.join(work, "mix.lua")
    with open(mix, "w") as f:
        f.write("""local n = 0
local body = '{"title":"Mixed","author":"wrk","year":2024}'
request = function()
  n = n + 1
  if n %% 10 == 0 then
    return wrk.format("POST", "/books", {["Content-Type"] = "application/json"}, body)
  end
  return wrk.format("GET", "/books/" .. tostring((n * 7) %% 42 + 1))
end
""".replace("%%", "%"))
    booking = os.path.join(work, "booking.lua")
    with open(booking, "w") as f:
        f.write("""local ids = {%s}
local n = 0
init = function(args) n = tonumber(args[1] or "0") end  -- warm-up and measured runs book different slots
request = function()
  n = n + 1
  local id = ids[(n %% #ids) + 1]
  local from = 1893456000 + math.floor(n / #ids) * 3600
  local body = string.format('{"from":"%%s","to":"%%s","allocation_type":"hire"}',
    os.date("!%%Y-%%m-%%dT%%H:%%M:%%SZ", from), os.date("!%%Y-%%m-%%dT%%H:%%M:%%SZ", from + 3600))
  return wrk.format("POST", "/cars/" .. id .. "/allocations", {["Content-Type"] = "application/json"}, body)
end
""" % ", ".join('"%s"' % i for i in car_ids))
    return post, mix, booking


def create_cars(port, count=64):
    ids = []
    for i in range(count):
        request = urllib.request.Request("http://127.0.0.1:%d/cars" % port, data=json.dumps({"name": "bench car %d" % i}).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
        ids.append(json.load(urllib.request.urlopen(request))["id"])
    return ids


def hold_idle_connections(port, count):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, count + 4096), hard))
    sockets = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n")
        assert s.recv(4096).startswith(b"HTTP/1.1 200")
        sockets.append(s)
    return sockets


# MARK: the run

def main():
    os.makedirs(OUT, exist_ok=True)
    work = tempfile.mkdtemp(prefix="booksapi-bench-")
    systems = []
    mongo = None
    try:
        mongo, mongodb_url = start_mongo()
        subprocess.run([BINARY, "seed", "--replace"], cwd=ROOT, env={"PATH": "/usr/bin:/bin", "MONGODB_URL": mongodb_url}, check=True,
                       stdout=subprocess.DEVNULL)
        embedded = start_booksapi("BooksAPI-embedded", work)
        time.sleep(1)
        idle_rss = rss_mb([embedded.process.pid])
        on_mongo = start_booksapi("BooksAPI-mongo", work, MONGODB_URL=mongodb_url)
        flask = start_flask(mongodb_url)
        nginx = start_nginx(work)
        systems += [embedded, on_mongo, flask, nginx]

        bodies = {}
        for key, path in [("list", "/books?limit=8&sortasc=author"), ("get", "/books/1"), ("index", "/index.html")]:
            bodies[key] = os.path.join(work, key + ".body")
            with open(bodies[key], "wb") as f:
                f.write(urllib.request.urlopen("http://127.0.0.1:%d%s" % (embedded.port, path)).read())
        ceilings = {key: start_ceiling(path) for key, path in bodies.items()}
        systems += list(ceilings.values())

        post, mix, booking = lua_scripts(work, create_cars(embedded.port))
        os.makedirs(os.path.join(work, "mongo"))
        mongo_booking = lua_scripts(os.path.join(work, "mongo"), create_cars(on_mongo.port))[2]
        short = lambda warm: 2 if warm else DURATION

        def w(path, **options):
            return lambda port, warm_up: wrk(port, path, duration=short(warm_up), **options)

        def booking_load(script):
            return lambda port, warm_up: wrk(port, "/", duration=short(warm_up), script=script, args=("0" if warm_up else "10000000",))

        scenarios = [
            ("GET /books?limit=8&sortasc=author", [ceilings["list"], embedded, on_mongo, flask], {None: w("/books?limit=8&sortasc=author")}),
            ("GET /books/{id}", [ceilings["get"], embedded, on_mongo, flask], {None: w("/books/1")}),
            ("POST /books", [embedded, on_mongo, flask], {None: w("/books", script=post)}),
            ("90/10 reads/writes", [embedded, on_mongo, flask], {None: w("/", script=mix)}),
            ("GET /index.html", [ceilings["index"], embedded, nginx], {None: w("/index.html")}),
            ("1,000 keep-alive connections", [ceilings["get"], embedded, flask], {None: w("/books/1", connections=1000, threads=2)}),
            ("pipelined (h2load -m 8)", [ceilings["get"], embedded, flask],
             {None: lambda port, warm_up: h2load(port, "/books/1", work, duration=short(warm_up))}),
            ("booking allocations", [embedded, on_mongo], {embedded.name: booking_load(booking), on_mongo.name: booking_load(mongo_booking)}),
        ]
        rows = []
        for title, targets, loads in scenarios:
            for system in targets:
                load = loads.get(system.name, loads.get(None))
                result = measure(system, load)
                result.update(scenario=title, system=system.name)
                rows.append(result)
                print("%-34s %-18s %9.0f req/s  p50 %7.2f ms  p99 %7.2f ms  %.3f CPU s/1000  %6.1f MB  %d errors" % (
                    title, system.name, result["rps"], result["p50"], result["p99"], result["cpu_s_per_1000"], result["peak_rss_mb"], result["errors"]),
                    flush=True)

        # 10,000 idle keep-alive connections on a fresh instance (the first one now holds every book
        # and booking the scenarios wrote): the list scenario without them, then with them held open.
        fresh = start_booksapi("BooksAPI-embedded-fresh", work)
        systems.append(fresh)
        without = measure(fresh, w("/books?limit=8&sortasc=author"))
        sockets = hold_idle_connections(fresh.port, IDLE_CONNECTIONS)
        time.sleep(1)
        idle10k_rss = rss_mb([fresh.process.pid])
        result = measure(fresh, w("/books?limit=8&sortasc=author"))
        result.update(scenario="GET /books?limit=8 with 10,000 idle connections open", system=embedded.name, idle_rss_mb=idle10k_rss,
                      rps_without=without["rps"])
        rows.append(result)
        print("10,000 idle connections: RSS %.1f MB; list %.0f req/s (%.0f without), p99 %.2f ms" % (
            idle10k_rss, result["rps"], without["rps"], result["p99"]), flush=True)
        for s in sockets:
            s.close()

        summary = {"duration_s": DURATION, "idle_rss_mb": idle_rss, "machine": machine(), "rows": rows}
        with open(os.path.join(OUT, "results.json"), "w") as f:
            json.dump(summary, f, indent=1)
        table = render(summary)
        with open(os.path.join(OUT, "table.md"), "w") as f:
            f.write(table)
        print("\n" + table)
        chart(summary, os.path.join(OUT, "chart.png"))
    finally:
        for system in systems:
            system.stop()
        if mongo:
            mongo.kill()
            mongo.wait()
        shutil.rmtree(work, ignore_errors=True)


def machine():
    with open("/proc/cpuinfo") as f:
        model = re.search(r"model name\s*:\s*(.*)", f.read()).group(1)
    with open("/proc/meminfo") as f:
        memory = int(re.search(r"MemTotal:\s+(\d+)", f.read()).group(1)) // (1024 * 1024)
    return {"cpu": model, "cores": os.cpu_count(), "memory_gib": memory, "kernel": os.uname().release,
            "wrk": subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[0].strip(),
            "load_generator": "on the same machine, sharing its cores"}


def find(rows, scenario, system):
    return next((r for r in rows if r["scenario"] == scenario and r["system"] == system), None)


def render(summary):
    rows = summary["rows"]
    lines = ["| scenario | system | req/s | p50 ms | p99 ms | CPU s / 1000 req | peak RSS MB | errors | × ceiling | × Flask |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        ceiling = find(rows, r["scenario"], "ceiling")
        flask = find(rows, r["scenario"], "flask+gunicorn")
        lines.append("| %s | %s | %.0f | %.2f | %.2f | %.3f | %.1f | %d | %s | %s |" % (
            r["scenario"], r["system"], r["rps"], r["p50"], r["p99"], r["cpu_s_per_1000"], r["peak_rss_mb"], r["errors"],
            "%.2f" % (r["rps"] / ceiling["rps"]) if ceiling and ceiling["rps"] and r["system"] != "ceiling" else "",
            "%.1f" % (r["rps"] / flask["rps"]) if flask and flask["rps"] and r["system"] not in ("flask+gunicorn", "ceiling") else ""))
    lines += ["", "| target | measured | met |", "|---|---|---|"]
    for name, measured, met in targets(summary):
        lines.append("| %s | %s | %s |" % (name, measured, "yes" if met else "**no**"))
    return "\n".join(lines) + "\n"


def targets(summary):
    rows = summary["rows"]
    out = []
    listing = "GET /books?limit=8&sortasc=author"
    ours, ceiling, flask = (find(rows, listing, s) for s in ("BooksAPI-embedded", "ceiling", "flask+gunicorn"))
    out.append(("GET /books?limit=8, embedded: ≥ 0.5× ceiling", "%.2f×" % (ours["rps"] / ceiling["rps"]), ours["rps"] >= 0.5 * ceiling["rps"]))
    out.append(("GET /books?limit=8, embedded: ≥ 12× Flask", "%.1f×" % (ours["rps"] / flask["rps"]), ours["rps"] >= 12 * flask["rps"]))
    out.append(("p99 at 64 connections ≤ 5 ms (GET /books?limit=8, embedded)", "%.2f ms" % ours["p99"], ours["p99"] <= 5))
    index, nginx = find(rows, "GET /index.html", "BooksAPI-embedded"), find(rows, "GET /index.html", "nginx")
    out.append(("GET /index.html ≥ 1.0× nginx", "%.2f×" % (index["rps"] / nginx["rps"]), index["rps"] >= nginx["rps"]))
    mongo, flask_list = find(rows, listing, "BooksAPI-mongo"), flask
    ratio = flask_list["cpu_s_per_1000"] / mongo["cpu_s_per_1000"]
    out.append(("MongoDB path: CPU per request ≤ 1/10 of Flask+pymongo's (GET /books?limit=8)", "1/%.1f" % ratio, ratio >= 10))
    idle = next(r for r in rows if r["scenario"].endswith("idle connections open"))
    out.append(("10,000 idle connections: RSS ≤ 200 MB", "%.1f MB" % idle["idle_rss_mb"], idle["idle_rss_mb"] <= 200))
    out.append(("10,000 idle connections: still full speed (≥ 0.9× the same instance without them)", "%.2f×" % (idle["rps"] / idle["rps_without"]),
                idle["rps"] >= 0.9 * idle["rps_without"]))
    out.append(("idle RSS ≤ 20 MB", "%.1f MB" % summary["idle_rss_mb"], summary["idle_rss_mb"] <= 20))
    return out


def chart(summary, path):
    import textwrap
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    rows = summary["rows"]
    scenarios = list(dict.fromkeys(r["scenario"] for r in rows))
    systems = ["ceiling", "BooksAPI-embedded", "BooksAPI-mongo", "flask+gunicorn", "nginx"]
    colours = {"ceiling": "#9aa5b1", "BooksAPI-embedded": "#1f6feb", "BooksAPI-mongo": "#58a6ff", "flask+gunicorn": "#d29922", "nginx": "#3fb950"}
    fig, axes = plt.subplots(2, 1, figsize=(14, 9), sharex=True)
    width = 0.16
    for ax, key, label in [(axes[0], "rps", "requests per second"), (axes[1], "cpu_s_per_1000", "server CPU seconds per 1,000 requests")]:
        for i, system in enumerate(systems):
            xs, ys = [], []
            for j, scenario in enumerate(scenarios):
                r = find(rows, scenario, system)
                if r and r[key] > 0:
                    xs.append(j + (i - 2) * width)
                    ys.append(r[key])
            ax.bar(xs, ys, width, label=system, color=colours[system])
        ax.set_yscale("log")
        ax.set_ylabel(label + " (log)")
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_title("BooksAPI, the original Flask + pymongo stack, nginx and the HTTP ceiling: %d cores, load generator on the same machine"
                      % summary["machine"]["cores"], fontsize=10)
    axes[1].set_xticks(range(len(scenarios)))
    axes[1].set_xticklabels([textwrap.fill(s, 18) for s in scenarios], fontsize=8)
    axes[0].legend(fontsize=8, ncol=5, loc="lower center", bbox_to_anchor=(0.5, 1.06))
    fig.tight_layout()
    fig.savefig(path, dpi=100)


if __name__ == "__main__":
    if "--render" in sys.argv:  # the table and chart again from results.json, without a run
        with open(os.path.join(OUT, "results.json")) as f:
            saved = json.load(f)
        with open(os.path.join(OUT, "table.md"), "w") as f:
            f.write(render(saved))
        chart(saved, os.path.join(OUT, "chart.png"))
    else:
        main()
