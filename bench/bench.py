#!/usr/bin/env python3
"""madre benchmarks, driven by bench/run.sh (which builds, installs the tools and cleans up).

Standard library only. Every measurement is bounded in count and time; A/B arms are interleaved
(rotated order, one run of each arm per round). Results go to docs/BENCHMARKS.md and, as JSON,
to out/bench/results-<mode>.json. Everything this script starts is written to <work>/pids and
every compose project to <work>/projects, so that run.sh's trap can clean up after a crash.
"""

import argparse
import concurrent.futures
import datetime as dt
import fcntl
import http.client
import json
import math
import os
import platform
import re
import secrets
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse

# --------------------------------------------------------------------------------------------
# Settings per mode. Each sub-benchmark stays well under a minute in --smoke.

MODES = {
    "smoke": {
        "open_sizes": [1, 3, 10],
        "open_runs": {1: 3, 3: 5, 10: 3},
        "ready_sizes": [3],
        "ready_runs": 3,
        "ttl_windows": 10,
        "pause_runs": 5,
        "cycles": 120,
        "crash_runs": 2,
        "wrk_duration": 5,
        "wrk_rounds": 1,
        "idle_sec": 10,
        "growth_sizes": [100],
        "history": 1000,
        "growth_reps": 7,
        "growth_docker_reps": 3,
        "hyperfine_runs": 10,
        "create_cap_sec": 150,
        "state_nginx_rounds": 1,
        "ove_rounds": 7,
        "slow_rounds": 2,
        "slow_timeout_sec": 12,
        "slowhc_rounds": 3,
        "example_rounds": 2,
        "reopen_runs": 5,
        "intent_sources": 3,
        "autofix_rounds": 3,
        "swarm_rounds": 3,
        "swarm_bound_sec": 600,
        "swarm_lock_wait_sec": 600,
    },
    "full": {
        "open_sizes": [1, 3, 10],
        "open_runs": {1: 9, 3: 31, 10: 7},
        "ready_sizes": [1, 3, 10],
        "ready_runs": 5,
        "ttl_windows": 50,
        "pause_runs": 15,
        "cycles": 480,
        "crash_runs": 5,
        "wrk_duration": 10,
        "wrk_rounds": 3,
        "idle_sec": 60,
        "growth_sizes": [100, 300],
        "history": 10000,
        "growth_reps": 21,
        "growth_docker_reps": 5,
        "hyperfine_runs": 30,
        "create_cap_sec": 420,
        "state_nginx_rounds": 3,
        "ove_rounds": 31,
        "slow_rounds": 7,
        "slow_timeout_sec": 15,
        "slowhc_rounds": 9,
        "example_rounds": 5,
        "reopen_runs": 5,
        "intent_sources": 20,
        "autofix_rounds": 10,
        "swarm_rounds": 10,
        "swarm_bound_sec": 1500,
        "swarm_lock_wait_sec": 900,
    },
}

API = "/v1.41"
IMAGE = "madre-busybox:latest"
FORBIDDEN_PORTS = set(range(8000, 8012)) | {6379}
# Every step, in the order of a whole run; `--only a,b` runs a subset (bench/run.sh --only).
STEPS = ["open_close", "ttl", "crashloop", "http", "state_nginx", "open_vs_engine", "cli", "pause",
         "ttl_slow_opens", "slow_healthcheck", "example_open", "intent", "autofix", "swarm",
         "idle", "growth"]


def log(msg):
    sys.stderr.write(f"[bench {time.strftime('%H:%M:%S')}] {msg}\n")
    sys.stderr.flush()


# --------------------------------------------------------------------------------------------
# Statistics


def pct(values, q):
    """Nearest-rank percentile (q in 0..1) of a non-empty list."""
    s = sorted(values)
    k = max(1, math.ceil(q * len(s)))
    return s[min(k, len(s)) - 1]


def summary(values):
    if not values:
        return None
    return {
        "n": len(values),
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "p10": pct(values, 0.10),
        "p90": pct(values, 0.90),
        "p99": pct(values, 0.99),
    }


def parse_time(s):
    """RFC 3339 UTC ('...Z', any number of fraction digits) to Unix seconds."""
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z$", s or "")
    if not m:
        raise ValueError(f"not an RFC 3339 UTC time: {s!r}")
    base = dt.datetime.strptime(m[1], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.timezone.utc)
    return base.timestamp() + (float("0." + m[2]) if m[2] else 0.0)


# --------------------------------------------------------------------------------------------
# Docker Engine API over the unix socket


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=60):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.unix_path)
        self.sock = s


class Docker:
    def __init__(self):
        host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
        if not host.startswith("unix://"):
            raise SystemExit(f"bench: DOCKER_HOST={host}: only unix sockets are supported")
        self.path = host[len("unix://"):]
        self.local = threading.local()

    def _conn(self):
        c = getattr(self.local, "conn", None)
        if c is None:
            c = UnixHTTPConnection(self.path)
            self.local.conn = c
        return c

    def request(self, method, path, body=None, timeout=60):
        for attempt in range(2):
            c = self._conn()
            c.timeout = timeout
            try:
                headers = {}
                data = None
                if body is not None:
                    data = json.dumps(body).encode()
                    headers["Content-Type"] = "application/json"
                c.request(method, API + path, body=data, headers=headers)
                r = c.getresponse()
                raw = r.read()
                obj = None
                if raw and r.getheader("Content-Type", "").startswith("application/json"):
                    obj = json.loads(raw)
                return r.status, obj
            except (OSError, http.client.HTTPException):
                c.close()
                self.local.conn = None
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def containers(self, project):
        f = urllib.parse.quote(json.dumps({"label": [f"com.docker.compose.project={project}"]}))
        st, obj = self.request("GET", f"/containers/json?all=1&filters={f}")
        if st != 200:
            raise RuntimeError(f"docker: list containers of {project}: HTTP {st}")
        return {c["Labels"].get("com.docker.compose.service", ""): c["Id"] for c in obj}

    def inspect(self, cid):
        st, obj = self.request("GET", f"/containers/{cid}/json")
        if st != 200:
            raise RuntimeError(f"docker: inspect {cid[:12]}: HTTP {st}")
        return obj

    def start(self, cid):
        st, _ = self.request("POST", f"/containers/{cid}/start")
        if st not in (204, 304):
            raise RuntimeError(f"docker: start {cid[:12]}: HTTP {st}")

    def stop(self, cid, t=2):
        st, _ = self.request("POST", f"/containers/{cid}/stop?t={t}", timeout=t + 30)
        if st not in (204, 304):
            raise RuntimeError(f"docker: stop {cid[:12]}: HTTP {st}")

    def unpause(self, cid):
        st, _ = self.request("POST", f"/containers/{cid}/unpause")
        if st not in (204, 304, 409):  # 409: not paused
            raise RuntimeError(f"docker: unpause {cid[:12]}: HTTP {st}")

    def pause(self, cid):
        st, _ = self.request("POST", f"/containers/{cid}/pause")
        if st not in (204, 304):
            raise RuntimeError(f"docker: pause {cid[:12]}: HTTP {st}")

    def paused(self, cid):
        return self.inspect(cid)["State"].get("Paused", False)

    def remove(self, cid):
        self.request("DELETE", f"/containers/{cid}?force=1&v=1")

    def parallel(self, fn, ids):
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, min(len(ids), 32))) as ex:
            for f in [ex.submit(fn, i) for i in ids]:
                f.result()

    def running(self, cid):
        return self.inspect(cid)["State"]["Running"]

    def wait_healthy(self, ids, bound=60.0, period=0.05):
        """Polls inspect until every container is healthy (the 'docker inspect' loop)."""
        end = time.monotonic() + bound
        pending = list(ids)
        while pending:
            pending = [i for i in pending
                       if ((self.inspect(i)["State"].get("Health") or {}).get("Status")) != "healthy"]
            if not pending:
                return
            if time.monotonic() > end:
                raise RuntimeError(f"{len(pending)} container(s) not healthy within {bound:.0f} s")
            time.sleep(period)

    def ensure_stopped(self, ids):
        up = [i for i in ids if self.running(i)]
        if up:
            self.parallel(self.stop, up)


# --------------------------------------------------------------------------------------------
# Context: cleanup registry, results


class Ctx:
    def __init__(self, args):
        self.args = args
        self.mode = args.mode
        self.cfg = MODES[args.mode]
        self.work = args.work
        self.repo = args.repo
        self.madre_bin = args.madre
        self.docker = Docker()
        self.results = {"mode": args.mode, "errors": {}, "timings": {}}
        self.projects = {}  # name -> compose file
        self.profiles = {}  # name -> the compose profile its services need
        self.prefix = f"mbench{os.getpid()}{secrets.token_hex(2)}"

    def register_pid(self, pid):
        with open(os.path.join(self.work, "pids"), "a") as f:
            f.write(f"{pid}\n")

    def register_project(self, name, file):
        self.projects[name] = file
        with open(os.path.join(self.work, "projects"), "a") as f:
            f.write(f"{name}\t{file}\n")

    def project_done(self, name):
        with open(os.path.join(self.work, "projects.done"), "a") as f:
            f.write(f"{name}\n")


def free_port():
    for _ in range(50):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        if port not in FORBIDDEN_PORTS:
            return port
    raise RuntimeError("no free loopback port")


def compose_yaml(n, crashy=False):
    out = [
        "# Generated by bench/run.sh: N FROM-scratch services, no host ports.",
        "x-svc: &svc",
        f"  image: {IMAGE}",
        "  pull_policy: never",
        "  stop_grace_period: 2s",
        "  healthcheck:",
        '    test: ["CMD-SHELL", "wget -q -O- http://127.0.0.1:$$PORT/health"]',
        "    interval: 500ms",
        "    timeout: 2s",
        "    retries: 60",
        "",
        "services:",
    ]
    for i in range(1, n + 1):
        out += [f"  s{i}:", "    <<: *svc", f'    environment: {{SERVICE_NAME: s{i}, PORT: "8080"}}']
    if crashy:
        out += ["  crashy:", "    <<: *svc", "    restart: always",
                '    environment: {SERVICE_NAME: crashy, PORT: "8080", CRASH: "1"}']
    return "\n".join(out) + "\n"


def compose(ctx, project, args, timeout=120):
    argv = ["docker-compose", "-p", project, "-f", ctx.projects[project]]
    if project in ctx.profiles:
        argv += ["--profile", ctx.profiles[project]]
    argv += args
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({r.returncode}): {r.stderr.strip()[-500:]}")
    return r


def create_project(ctx, key, n, crashy=False, cap=120, yaml=None, names=None, profile=None):
    """Creates (`up --no-start`) a generated project: s1..sN (+ crashy), or `names` from `yaml`
    (with compose's `--profile` when given)."""
    name = f"{ctx.prefix}_{key}"
    if profile:
        ctx.profiles[name] = profile
    d = os.path.join(ctx.work, name)
    os.makedirs(d, exist_ok=True)
    file = os.path.join(d, "docker-compose.yml")
    with open(file, "w") as f:
        f.write(yaml if yaml is not None else compose_yaml(n, crashy))
    ctx.register_project(name, file)
    t0 = time.monotonic()
    # docker-compose 1.29 has been seen to stall for minutes half-way through creating 100
    # services in one call (intermittently, on this machine's dockerd 20.10), never with about
    # ten: the services are created in batches, each bounded and retried once (`up --no-start`
    # is idempotent).
    if names is None:
        names = [f"s{i}" for i in range(1, n + 1)] + (["crashy"] if crashy else [])
    for k in range(0, len(names), 20):
        batch = names[k:k + 20]
        for attempt in (1, 2):
            left = cap - (time.monotonic() - t0)
            if left <= 0:
                raise RuntimeError(f"creating {n} services took more than {cap} s")
            try:
                compose(ctx, name, ["up", "--no-start"] + batch, timeout=min(left, 30))
                break
            except subprocess.TimeoutExpired:
                have = len(ctx.docker.containers(name))
                log(f"{name}: docker-compose up --no-start stalled ({have} containers so far)"
                    + ("; retrying" if attempt == 1 else ""))
                if attempt == 2:
                    raise RuntimeError(f"creating {n} services: docker-compose up --no-start "
                                       f"stalled twice ({have} containers created)")
    took = time.monotonic() - t0
    ids = ctx.docker.containers(name)
    expected = len(names)
    if len(ids) != expected:
        raise RuntimeError(f"{name}: {len(ids)} containers, expected {expected}")
    log(f"project {name}: {expected} services created in {took:.1f} s")
    return name, ids, took


def destroy_project(ctx, name):
    try:
        ids = list(ctx.docker.containers(name).values())
        ctx.docker.parallel(ctx.docker.remove, ids)
        compose(ctx, name, ["down", "-v", "--remove-orphans"], timeout=180)
        ctx.project_done(name)
    except Exception as e:  # run.sh's trap tries again
        log(f"cleanup of {name} failed: {e}")


# --------------------------------------------------------------------------------------------
# madre


class Madre:
    def __init__(self, ctx, key, project, extra_env=None, compose_file=None):
        self.ctx = ctx
        self.key = key
        self.project = project
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.state_dir = os.path.join(ctx.work, f"state-{key}")
        self.log_path = os.path.join(ctx.work, f"madre-{key}.log")
        env = {k: v for k, v in os.environ.items() if not k.startswith("VX11_")}
        env.update({
            "VX11_TOKEN": self.token,
            "VX11_MADRE_BIND": "127.0.0.1",
            "VX11_MADRE_PORT": str(self.port),
            "VX11_COMPOSE_PROJECT": project,
            "VX11_COMPOSE_DIR": os.path.dirname(compose_file or ctx.projects[project]),
            "VX11_COMPOSE_FILES": "docker-compose.yml",
            "VX11_COMPOSE_CMD": "docker-compose",
            "VX11_ALWAYS_ON": "madre",
            "VX11_POWER_WINDOWS_MAX_CONCURRENT": "10000",
            "VX11_THROTTLE_CPU_PCT": "0",
            "VX11_STATE_DIR": self.state_dir,
        })
        env.update(extra_env or {})
        self.env = env
        self.logf = open(self.log_path, "w")
        self.proc = subprocess.Popen([ctx.madre_bin, "serve"], env=env, stdout=self.logf,
                                     stderr=subprocess.STDOUT, cwd=env["VX11_COMPOSE_DIR"],
                                     start_new_session=True)
        ctx.register_pid(self.proc.pid)
        self.local = threading.local()
        self.windows_opened = 0
        self.count_lock = threading.Lock()
        t0 = time.monotonic()
        self._wait_ready(60)
        self.startup_sec = time.monotonic() - t0
        log(f"madre[{key}] pid {self.proc.pid} on 127.0.0.1:{self.port} ready in "
            f"{self.startup_sec:.2f} s")

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def _conn(self):
        c = getattr(self.local, "conn", None)
        if c is None:
            c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=180)
            self.local.conn = c
        return c

    def req(self, method, path, body=None, auth=True):
        """Returns (status, parsed body or text, seconds)."""
        headers = {}
        if auth:
            headers["X-VX11-Token"] = self.token
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        for attempt in range(2):
            c = self._conn()
            try:
                t0 = time.perf_counter()
                c.request(method, path, body=data, headers=headers)
                r = c.getresponse()
                raw = r.read()
                took = time.perf_counter() - t0
                ct = r.getheader("Content-Type", "")
                obj = json.loads(raw) if ct.startswith("application/json") and raw else raw.decode()
                if r.getheader("Connection", "").lower() == "close":
                    c.close()
                    self.local.conn = None
                return r.status, obj, took
            except (OSError, http.client.HTTPException):
                c.close()
                self.local.conn = None
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def _wait_ready(self, bound):
        end = time.monotonic() + bound
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"madre[{self.key}] exited with {self.proc.returncode}; "
                                   f"see {self.log_path}")
            try:
                st, _, _ = self.req("GET", "/madre/power/state")
                if st == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"madre[{self.key}] not ready within {bound} s; see {self.log_path}")

    def open(self, services, skip_health=True, ttl_sec=600, hold=False):
        body = {"services": services, "wait": True, "skip_health": skip_health,
                "wait_timeout_sec": 120, "reason": "bench"}
        if hold:
            body["hold"] = True
        else:
            body["ttl_sec"] = ttl_sec
        st, obj, took = self.req("POST", "/madre/power/windows/open", body)
        if st != 200 or not isinstance(obj, dict) or obj.get("state") != "open":
            raise RuntimeError(f"open {services}: HTTP {st}: {str(obj)[:300]}")
        bad = {s: v for s, v in obj.get("services_status", {}).items() if v.get("state") != "running"}
        if bad:
            raise RuntimeError(f"open {services}: services not running: {bad}")
        with self.count_lock:
            self.windows_opened += 1
        return obj, took

    def close(self, window_id):
        st, obj, took = self.req("POST", "/madre/power/windows/close", {"window_id": window_id})
        if st != 200 or obj.get("state") != "closed":
            raise RuntimeError(f"close {window_id}: HTTP {st}: {str(obj)[:300]}")
        return obj, took

    def proc_stat(self):
        """(cpu seconds, RSS kB, HWM kB, voluntary+involuntary context switches of all threads)."""
        pid = self.proc.pid
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
        rss = hwm = anon = 0
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith("VmHWM:"):
                    hwm = int(line.split()[1])
                elif line.startswith("RssAnon:"):
                    anon = int(line.split()[1])  # private memory; the rest is mapped files
        switches = 0
        threads = 0
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/status") as f:
                    for line in f:
                        if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                            switches += int(line.split()[1])
                threads += 1
            except OSError:
                pass
        return {"cpu_sec": ticks / os.sysconf("SC_CLK_TCK"), "ticks": ticks, "rss_kb": rss,
                "hwm_kb": hwm, "anon_kb": anon, "ctx_switches": switches, "threads": threads}

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.logf.close()


# --------------------------------------------------------------------------------------------
# 1 + 2: open and close of existing services, madre vs docker-compose vs Engine API


def bench_open_close(ctx, m, main_ids, mirror, mirror_ids):
    cfg = ctx.cfg
    d = ctx.docker
    out = []
    plan = [(n, False, cfg["open_runs"][n]) for n in cfg["open_sizes"]]
    plan += [(n, True, cfg["ready_runs"]) for n in cfg["ready_sizes"]]
    arms = ["madre", "compose", "engine"]
    for n, ready, runs in plan:
        svcs = [f"s{i}" for i in range(1, n + 1)]
        mids = [main_ids[s] for s in svcs]
        cids = [mirror_ids[s] for s in svcs]
        rec = {"n": n, "ready": ready, "runs": runs,
               "open": {a: [] for a in arms}, "close": {a: [] for a in arms}}
        t_start = time.monotonic()
        for r in range(runs):
            for arm in arms[r % 3:] + arms[:r % 3]:
                ids = mids if arm == "madre" else cids
                d.ensure_stopped(ids)
                time.sleep(0.2)
                if arm == "madre":
                    w, took = m.open(svcs, skip_health=not ready)
                    t_open = took
                    time.sleep(0.2)
                    _, t_close = m.close(w["window_id"])
                elif arm == "compose":
                    t0 = time.perf_counter()
                    compose(ctx, mirror, ["up", "-d"] + svcs)
                    if ready:
                        d.wait_healthy(cids)
                    t_open = time.perf_counter() - t0
                    time.sleep(0.2)
                    t0 = time.perf_counter()
                    compose(ctx, mirror, ["stop"] + svcs)
                    t_close = time.perf_counter() - t0
                else:
                    t0 = time.perf_counter()
                    d.parallel(d.start, cids)
                    if ready:
                        d.wait_healthy(cids)
                    t_open = time.perf_counter() - t0
                    time.sleep(0.2)
                    t0 = time.perf_counter()
                    d.parallel(lambda i: d.stop(i, 2), cids)
                    t_close = time.perf_counter() - t0
                if any(d.running(i) for i in ids):
                    raise RuntimeError(f"{arm}: containers still running after the close")
                rec["open"][arm].append(t_open)
                rec["close"][arm].append(t_close)
        rec["elapsed_sec"] = time.monotonic() - t_start
        log(f"open/close n={n} ready={ready}: " + ", ".join(
            f"{a} {statistics.median(rec['open'][a]) * 1000:.0f}/"
            f"{statistics.median(rec['close'][a]) * 1000:.0f} ms" for a in arms)
            + f" ({rec['elapsed_sec']:.0f} s)")
        out.append(rec)
    # What madre ran for its opens and closes, from its audit (ops of window.opened/closed).
    try:
        _, obj, _ = m.req("GET", "/madre/power/audit?limit=2000")
        ops = {}
        for rec in obj["records"]:  # newest first
            if rec["action"] in ("window.opened", "window.closed") and rec["action"] not in ops:
                if len(rec["ops"]) >= 3:
                    ops[rec["action"]] = [
                        {"command": o["command"].replace(m.project, "P"),
                         "elapsed_ms": o["elapsed_ms"]} for o in rec["ops"]]
        ctx.results["madre_ops"] = ops
    except Exception as e:
        log(f"audit ops: {e}")
    return out


# --------------------------------------------------------------------------------------------
# 1b: open and close with VX11_STOP_STRATEGY=pause


def last_open_ops(m, project):
    """The Docker calls of madre `m`'s newest `window.opened` audit record (project name as P),
    or None."""
    _, obj, _ = m.req("GET", "/madre/power/audit?limit=20")
    for a in obj["records"]:  # newest first
        if a["action"] == "window.opened":
            return [{"command": o["command"].replace(project, "P"),
                     "elapsed_ms": o["elapsed_ms"]} for o in a["ops"]]
    return None


def bench_pause(ctx, project, ids):
    """A madre with the pause strategy on the mirror project (the main madre does not manage
    it): the first open starts 3 stopped containers, its close pauses them; then each open
    unpauses them and each close pauses them again."""
    d = ctx.docker
    svcs = ["s1", "s2", "s3"]
    cids = [ids[s] for s in svcs]
    d.ensure_stopped(list(ids.values()))
    # VX11_EXTERNAL_START=ignore: the Engine API floor below unpauses the same containers,
    # which madre would otherwise adopt as services started outside it.
    pm = Madre(ctx, "pause", project,
               {"VX11_STOP_STRATEGY": "pause", "VX11_EXTERNAL_START": "ignore"})
    try:
        w, first_open = pm.open(svcs)
        pm.close(w["window_id"])
        if not all(d.paused(i) for i in cids):
            raise RuntimeError("pause strategy: containers not paused after the first close")
        rec = {"first_open": first_open, "open": [], "close": [], "strategy": []}
        for _ in range(ctx.cfg["pause_runs"]):
            time.sleep(0.2)
            w, t_open = pm.open(svcs)
            rec["strategy"].append(w.get("stop_strategy"))
            if any(d.paused(i) for i in cids):
                raise RuntimeError("pause strategy: a container is still paused after the open")
            time.sleep(0.2)
            _, t_close = pm.close(w["window_id"])
            if not all(d.paused(i) for i in cids):
                raise RuntimeError("pause strategy: containers not paused after a close")
            rec["open"].append(t_open)
            rec["close"].append(t_close)
        rec["ops"] = last_open_ops(pm, project)
        # The original clients' path: POST /madre/power/window/open waits for readiness (the
        # services' Docker healthchecks; an unpaused container Docker still calls healthy is
        # ready at once), then the window is closed (paused again).
        # Each round is followed by the floor of the same re-open through the Engine API alone:
        # the three unpauses in parallel and one listing of the project (what madre needs at
        # the least to know the containers run), then the three pauses, so both arms see the
        # same load.
        rec["legacy_open"] = []
        rec["engine_reopen"] = []
        for _ in range(ctx.cfg["reopen_runs"]):
            time.sleep(0.2)
            st, w, t_open = pm.req("POST", "/madre/power/window/open",
                                   {"services": svcs, "ttl_sec": 600, "reason": "bench"})
            if st != 200 or not isinstance(w, dict) or w.get("state") != "open":
                raise RuntimeError(f"legacy open: HTTP {st}: {str(w)[:300]}")
            if any(d.paused(i) for i in cids):
                raise RuntimeError("pause strategy: a container is still paused after the open")
            time.sleep(0.2)
            pm.close(w["window_id"])
            if not all(d.paused(i) for i in cids):
                raise RuntimeError("pause strategy: containers not paused after a close")
            rec["legacy_open"].append(t_open)
            time.sleep(0.2)
            t0 = time.monotonic()
            d.parallel(d.unpause, cids)
            d.containers(project)
            rec["engine_reopen"].append(time.monotonic() - t0)
            time.sleep(0.2)
            d.parallel(d.pause, cids)
        rec["legacy_ops"] = last_open_ops(pm, project)
        log(f"pause: re-open through /madre/power/window/open median "
            f"{statistics.median(rec['legacy_open']) * 1000:.1f} ms (Engine API floor: "
            f"{statistics.median(rec['engine_reopen']) * 1000:.1f} ms)")
        log(f"pause: open median {statistics.median(rec['open']) * 1000:.1f} ms, close median "
            f"{statistics.median(rec['close']) * 1000:.1f} ms (first open, a real start: "
            f"{first_open * 1000:.0f} ms)")
        return rec
    finally:
        pm.stop()
        d.parallel(d.unpause, [i for i in ids.values() if d.paused(i)])
        d.ensure_stopped(list(ids.values()))


# --------------------------------------------------------------------------------------------
# 3: TTL precision


def parse_histogram(text, name):
    buckets = {}
    count = total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "_bucket"):
            le = re.search(r'le="([^"]+)"', line)[1]
            buckets[math.inf if le == "+Inf" else float(le)] = float(line.split()[-1])
        elif line.startswith(name + "_count"):
            count = float(line.split()[-1])
        elif line.startswith(name + "_sum"):
            total = float(line.split()[-1])
    return {"buckets": sorted(buckets.items()), "count": count, "sum": total}


def histogram_delta(after, before):
    b = dict(before["buckets"])
    return {"buckets": [(le, c - b.get(le, 0.0)) for le, c in after["buckets"]],
            "count": after["count"] - before["count"], "sum": after["sum"] - before["sum"]}


def bucket_quantile(h, q):
    """(lower, upper) bounds of the q-quantile from cumulative buckets."""
    total = h["count"]
    if total <= 0:
        return None
    prev = 0.0
    for le, c in h["buckets"]:
        if c >= q * total - 1e-9:
            return (prev, le)
        prev = le
    return (prev, math.inf)


def bench_ttl(ctx, m, main_ids):
    d = ctx.docker
    n = ctx.cfg["ttl_windows"]
    st, before_text, _ = m.req("GET", "/metrics")
    before = parse_histogram(before_text, "madre_ttl_stop_lag_seconds")
    samples = []
    t_start = time.monotonic()
    for k in range(n):
        svc = f"s{1 + k % 3}"
        cid = main_ids[svc]
        ttl = 1 + k % 2
        w, _ = m.open([svc], skip_health=True, ttl_sec=ttl)
        deadline = parse_time(w["deadline"])
        # Poll Docker every 20 ms from just before the deadline until the container stopped.
        while time.time() < deadline - 0.1:
            time.sleep(0.02)
        seen = None
        bound = deadline + 15
        while time.time() < bound:
            t = time.time()
            if not d.running(cid):
                seen = t
                break
            time.sleep(0.02)
        if seen is None:
            raise RuntimeError(f"window {w['window_id']}: container still running 15 s after "
                               "the deadline")
        finished = parse_time(d.inspect(cid)["State"]["FinishedAt"])
        # Wait until madre records the close, so that the next window starts from rest.
        end = time.monotonic() + 15
        state = None
        while time.monotonic() < end:
            _, obj, _ = m.req("GET", f"/madre/power/windows/{w['window_id']}")
            state = obj.get("state")
            if state in ("closed", "failed"):
                break
            time.sleep(0.02)
        samples.append({"ttl": ttl, "poll_lag": seen - deadline, "finished_lag": finished - deadline,
                        "close_reason": obj.get("close_reason"), "state": state,
                        "closed_lag": parse_time(obj["closed_at"]) - deadline
                        if obj.get("closed_at") else None})
    st, after_text, _ = m.req("GET", "/metrics")
    after = parse_histogram(after_text, "madre_ttl_stop_lag_seconds")
    h = histogram_delta(after, before)
    res = {"windows": n, "samples": samples, "histogram": h,
           "p50_bounds": bucket_quantile(h, 0.50), "p99_bounds": bucket_quantile(h, 0.99),
           "mean_metric": h["sum"] / h["count"] if h["count"] else None,
           "poll": summary([s["poll_lag"] for s in samples]),
           "finished": summary([s["finished_lag"] for s in samples]),
           "closed": summary([s["closed_lag"] for s in samples if s["closed_lag"] is not None]),
           "not_ttl_expired": sum(1 for s in samples if s["close_reason"] != "ttl_expired"),
           "elapsed_sec": time.monotonic() - t_start}
    log(f"ttl: metric p50 in {res['p50_bounds']}, p99 in {res['p99_bounds']}; container stopped "
        f"median {res['finished']['median'] * 1000:.0f} ms after the deadline "
        f"({res['elapsed_sec']:.0f} s)")
    return res


# --------------------------------------------------------------------------------------------
# 4: crash-loop detection latency


def crash_run(ctx, m, cid, grace_after_third=None):
    """Opens a window on `crashy` (skip_health) and waits for the service.crashloop audit record.

    Returns the times; "reported" is False when no record came within 25 s, or within
    `grace_after_third` seconds of the third death when that is given."""
    ctx.docker.ensure_stopped([cid])
    _, obj, _ = m.req("GET", "/madre/power/audit?limit=1")
    last_seq = obj["records"][0]["seq"] if obj["records"] else 0
    since = f"{time.time() - 0.5:.3f}"
    ev = subprocess.Popen(
        ["docker", "events", "--since", since, "--filter", f"container={cid}",
         "--filter", "event=die", "--format", "{{.TimeNano}}"],
        stdout=subprocess.PIPE, text=True, start_new_session=True)
    ctx.register_pid(ev.pid)
    dies = []
    reader = threading.Thread(target=lambda: [dies.append(int(x) / 1e9) for x in ev.stdout
                                              if x.strip().isdigit()], daemon=True)
    reader.start()
    w = None
    try:
        t_open0 = time.time()
        w, _ = m.open(["crashy"], skip_health=True, ttl_sec=600)
        record = None
        end = time.monotonic() + 25
        while time.monotonic() < end and record is None:
            time.sleep(0.05)
            _, obj, _ = m.req("GET", f"/madre/power/audit?after={last_seq}&limit=100")
            for rec in obj["records"]:
                if rec["action"] == "service.crashloop":
                    record = rec
            after_open = [t for t in dies if t >= t_open0]
            if (record is None and grace_after_third is not None and len(after_open) >= 3
                    and time.time() > after_open[2] + grace_after_third):
                break
        time.sleep(0.3)  # let the event stream catch up
        after_open = [t for t in dies if t >= t_open0]
        if record is None:
            return {"reported": False, "dies_seen": len(after_open),
                    "waited_sec": time.time() - t_open0}
        if len(after_open) < 3:
            raise RuntimeError(f"only {len(after_open)} die events before the report")
        third = after_open[2]
        t_rec = parse_time(record["time"])
        return {"reported": True, "third_die_to_audit": t_rec - third,
                "dies_before_report": sum(1 for t in after_open if t <= t_rec),
                "open_to_third_die": third - t_open0, "outcome": record["outcome"]}
    finally:
        ev.terminate()
        try:
            ev.wait(5)
        except subprocess.TimeoutExpired:
            ev.kill()
        if w is not None:
            m.close(w["window_id"])


def bench_crashloop(ctx, m, project, main_ids):
    runs = ctx.cfg["crash_runs"]
    cid = main_ids["crashy"]
    t_start = time.monotonic()
    out = []
    first = crash_run(ctx, m, cid)
    if not first["reported"]:
        raise RuntimeError(f"no service.crashloop audit record within 25 s ({first['dies_seen']} "
                           "die events seen)")
    out.append(first)
    # The same container again: is its second crash loop reported too?
    repeat = crash_run(ctx, m, cid, grace_after_third=3.0)
    log(f"crashloop: second loop of the same container reported: {repeat['reported']}")
    for _ in range(1, runs):
        # A fresh container for each further run (see the repeat probe above).
        ctx.docker.remove(cid)
        compose(ctx, project, ["up", "--no-start", "crashy"])
        cid = ctx.docker.containers(project)["crashy"]
        main_ids["crashy"] = cid
        x = crash_run(ctx, m, cid)
        if not x["reported"]:
            raise RuntimeError(f"no service.crashloop audit record within 25 s for a new "
                               f"container ({x['dies_seen']} die events seen)")
        out.append(x)
    res = {"runs": out, "repeat": repeat,
           "latency": summary([x["third_die_to_audit"] for x in out]),
           "elapsed_sec": time.monotonic() - t_start}
    log(f"crashloop: third die -> audit median {res['latency']['median'] * 1000:.0f} ms, max "
        f"{res['latency']['max'] * 1000:.0f} ms ({res['elapsed_sec']:.0f} s)")
    return res


# --------------------------------------------------------------------------------------------
# 5: HTTP throughput (wrk) beside nginx


def parse_duration(s):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", s)
    v = float(m[1])
    return v * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[m[2]]


def run_wrk(url, seconds, header=None):
    argv = ["wrk", "-t2", "-c64", f"-d{seconds}s", "--latency"]
    if header:
        argv += ["-H", header]
    argv.append(url)
    r = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    if r.returncode != 0:
        raise RuntimeError(f"wrk failed: {r.stderr.strip()}")
    o = r.stdout
    res = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", o)[1]),
           "requests": int(re.search(r"(\d+) requests in", o)[1]),
           "non2xx": int(m[1]) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", o)) else 0,
           "socket_errors": m[0] if (m := re.search(r"Socket errors:.*", o)) else ""}
    for p in ("50", "90", "99"):
        res[f"p{p}"] = parse_duration(re.search(rf"^\s+{p}%\s+(\S+)", o, re.M)[1])
    return res


class Nginx:
    def __init__(self, ctx, files, name="nginx"):
        """nginx -c <work>/<name>/nginx.conf: a private config, pid file, logs and temp dirs, on
        a free loopback port, in the foreground (no system service), serving `files`."""
        self.port = free_port()
        root = os.path.join(ctx.work, name)
        www = os.path.join(root, "www")
        os.makedirs(www, exist_ok=True)
        # nginx's workers run as an unprivileged user: they must reach the files (the work
        # directory is mktemp's 0700; traversal only, its listing stays private).
        os.chmod(ctx.work, 0o711)
        os.chmod(root, 0o755)
        os.chmod(www, 0o755)
        for name, content in files.items():
            with open(os.path.join(www, name), "wb") as f:
                f.write(content)
            os.chmod(os.path.join(www, name), 0o644)
        conf = os.path.join(root, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"""daemon off;
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {root}/tmp_body;
  proxy_temp_path {root}/tmp_proxy;
  fastcgi_temp_path {root}/tmp_fastcgi;
  uwsgi_temp_path {root}/tmp_uwsgi;
  scgi_temp_path {root}/tmp_scgi;
  keepalive_requests 1000000;
  server {{
    listen 127.0.0.1:{self.port};
    location / {{ root {www}; default_type application/json; }}
  }}
}}
""")
        self.proc = subprocess.Popen(["nginx", "-c", conf, "-p", root + "/"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        ctx.register_pid(self.proc.pid)
        end = time.monotonic() + 10
        while time.monotonic() < end:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                for name, content in files.items():
                    c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                    c.request("GET", "/" + name)
                    r = c.getresponse()
                    body = r.read()
                    c.close()
                    if r.status != 200 or body != content:
                        raise RuntimeError(f"nginx answers /{name} with HTTP {r.status}")
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"nginx exited with {self.proc.returncode}")
                time.sleep(0.05)
        raise RuntimeError("nginx did not listen within 10 s")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def bench_http(ctx, m):
    secs = ctx.cfg["wrk_duration"]
    _, state, _ = m.req("GET", "/madre/power/state")
    _, status, _ = m.req("GET", "/madre/power/status")
    files = {"state.json": json.dumps(state).encode(), "status.json": json.dumps(status).encode()}
    nginx = Nginx(ctx, files)
    hdr = f"X-VX11-Token: {m.token}"
    arms = [("madre /state", f"{m.url}/madre/power/state", hdr),
            ("nginx state.json", f"http://127.0.0.1:{nginx.port}/state.json", None),
            ("madre /status", f"{m.url}/madre/power/status", hdr),
            ("nginx status.json", f"http://127.0.0.1:{nginx.port}/status.json", None)]
    res = {a[0]: [] for a in arms}
    res_sizes = {k: len(v) for k, v in files.items()}
    t_start = time.monotonic()
    try:
        for r in range(ctx.cfg["wrk_rounds"]):
            order = arms[r % 4:] + arms[:r % 4]
            for name, url, h in order:
                w = run_wrk(url, secs, h)
                res[name].append(w)
                if w["non2xx"]:
                    ctx.results["errors"][f"wrk {name}"] = f"{w['non2xx']} non-2xx answers"
                log(f"wrk {name}: {w['rps']:.0f} req/s, p99 {w['p99'] * 1000:.2f} ms, "
                    f"non-2xx {w['non2xx']}")
                time.sleep(1)
    finally:
        nginx.stop()
    cycles = [cycle_rate(ctx, m, clients) for clients in (1, 8)]
    return {"runs": res, "duration": secs, "body_bytes": res_sizes, "cycles": cycles,
            "elapsed_sec": time.monotonic() - t_start}


def cycle_rate(ctx, m, clients):
    """Open/close cycles per second of windows on s2 while a hold window keeps s2 running, so
    that no cycle waits for Docker: the API, the planner, the store and the audit (each open and
    close is persisted and audited, with an fsync) - `clients` at once, each on its own
    keep-alive connection."""
    total = ctx.cfg["cycles"] // clients * clients
    hold, _ = m.open(["s2"], skip_health=True, hold=True)

    def worker(n):
        for _ in range(n):
            w, _ = m.open(["s2"], skip_health=True)
            m.close(w["window_id"])

    try:
        t0 = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(max_workers=clients) as ex:
            for f in [ex.submit(worker, total // clients) for _ in range(clients)]:
                f.result()
        took = time.perf_counter() - t0
    finally:
        m.close(hold["window_id"])
    res = {"clients": clients, "cycles": total, "sec": took, "rate": total / took}
    log(f"open/close cycles, {clients} client(s): {total} in {took:.1f} s = {res['rate']:.0f}/s")
    return res


# --------------------------------------------------------------------------------------------
# 9-11: rows of the hardening issue. Each is a ratio against a reference measured in the same
# run (or a lag read from Docker), never a timed assertion.


def http_once(port, method, path, token=None, body=None, timeout=60):
    """One request on a fresh loopback connection: (status, raw body, seconds from before the
    connect to the last byte of the answer)."""
    headers = {}
    if token:
        headers["X-VX11-Token"] = token
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    t0 = time.perf_counter()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request(method, path, body=data, headers=headers)
        r = c.getresponse()
        raw = r.read()
        return r.status, raw, time.perf_counter() - t0
    finally:
        c.close()


def docker_once(sock_path, method, path, timeout=60, body=None):
    """One Engine API request on a fresh unix-socket connection: (status, raw body). `body`, if
    given, is sent as JSON."""
    c = UnixHTTPConnection(sock_path, timeout)
    try:
        if body is None:
            c.request(method, API + path)
        else:
            c.request(method, API + path, body=body.encode(),
                      headers={"Content-Type": "application/json"})
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def bench_state_nginx(ctx, m):
    """wrk against GET /madre/power/state while a TTL window is open, and against nginx serving
    the very bytes madre answered (fetched first) from a file; the two arms alternate."""
    secs = ctx.cfg["wrk_duration"]
    rounds = ctx.cfg["state_nginx_rounds"]
    w, _ = m.open(["s1"], skip_health=True, ttl_sec=3600)
    nginx = None
    t_start = time.monotonic()
    try:
        st, body, _ = http_once(m.port, "GET", "/madre/power/state", m.token)
        obj = json.loads(body) if st == 200 else {}
        if obj.get("window_id") != w["window_id"] or obj.get("state") != "open":
            raise RuntimeError(f"/state does not show the open window: HTTP {st}: {body[:300]!r}")
        nginx = Nginx(ctx, {"state-open.json": body}, name="nginx-state")
        arms = [("madre", f"{m.url}/madre/power/state", f"X-VX11-Token: {m.token}"),
                ("nginx", f"http://127.0.0.1:{nginx.port}/state-open.json", None)]
        runs = {"madre": [], "nginx": []}
        for r in range(rounds):
            for name, url, hdr in (arms if r % 2 == 0 else arms[::-1]):
                x = run_wrk(url, secs, hdr)
                runs[name].append(x)
                if x["non2xx"]:
                    ctx.results["errors"][f"state_nginx {name}"] = f"{x['non2xx']} non-2xx answers"
                log(f"/state with a window open, {name}: {x['rps']:.0f} req/s, "
                    f"p99 {x['p99'] * 1000:.2f} ms, non-2xx {x['non2xx']}")
                time.sleep(1)
        # The window was open all along: the rows measured what they claim.
        _, obj, _ = m.req("GET", f"/madre/power/windows/{w['window_id']}")
        if obj.get("state") != "open":
            raise RuntimeError(f"the window left `open` during the runs: {obj.get('state')}")
    finally:
        if nginx is not None:
            nginx.stop()
        m.close(w["window_id"])
    a = statistics.median(x["rps"] for x in runs["madre"])
    b = statistics.median(x["rps"] for x in runs["nginx"])
    res = {"duration": secs, "rounds": rounds, "body_bytes": len(body), "runs": runs,
           "ratio": a / b, "paired": [x["rps"] / y["rps"] for x, y in zip(runs["madre"],
                                                                         runs["nginx"])],
           "elapsed_sec": time.monotonic() - t_start}
    log(f"/state with a window open: madre {a:.0f} req/s = {res['ratio']:.3f} x nginx "
        f"({res['elapsed_sec']:.0f} s)")
    return res


def bench_open_vs_engine(ctx, m, main_ids, mirror, mirror_ids):
    """Opening 3 stopped services through madre against starting 3 identical stopped containers
    through the Engine API, both timed alike from the outside: wall time of an external client
    on fresh connections, from before its first connect until it knows the 3 are running.

    madre: POST /madre/power/windows/open {"wait":true,"skip_health":true} on madre's project
    (s1..s3), until the answer (state `open`, every service `running`). With skip_health madre
    answers once its own list of the project (after the starts) shows the containers running
    (engine/action_runner.cc, ExecuteAction). Engine API: on the mirror project (madre stops
    containers of its own project that no window wants), POST /containers/ID/start for the 3
    in parallel, one thread and connection each, then GET /containers/json of the project until
    it lists the 3 as running, the same condition. Between runs every container is stopped and
    left 0.3 s; rounds alternate the order; a first round of each arm is not counted (madre's
    first open runs `compose config --hash`, which it then caches)."""
    d = ctx.docker
    svcs = ["s1", "s2", "s3"]
    mids = [main_ids[s] for s in svcs]
    cids = [mirror_ids[s] for s in svcs]
    filt = urllib.parse.quote(json.dumps({"label": [f"com.docker.compose.project={mirror}"]}))
    open_body = {"services": svcs, "wait": True, "skip_health": True, "wait_timeout_sec": 120,
                 "ttl_sec": 600, "reason": "bench open_vs_engine"}

    def madre_arm():
        st, raw, took = http_once(m.port, "POST", "/madre/power/windows/open", m.token, open_body,
                                  timeout=180)
        obj = json.loads(raw) if raw else {}
        if st != 200 or obj.get("state") != "open" or any(
                v.get("state") != "running" for v in obj.get("services_status", {}).values()):
            raise RuntimeError(f"madre open: HTTP {st}: {raw[:300]!r}")
        m.windows_opened += 1
        return took, obj["window_id"]

    def engine_arm():
        errors = []

        def start(cid):
            try:
                st, raw = docker_once(d.path, "POST", f"/containers/{cid}/start")
                if st not in (204, 304):
                    errors.append(f"start {cid[:12]}: HTTP {st} {raw[:200]!r}")
            except Exception as e:  # reported below
                errors.append(f"start {cid[:12]}: {e}")

        t0 = time.perf_counter()
        threads = [threading.Thread(target=start, args=(c,)) for c in cids]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise RuntimeError("; ".join(errors))
        while True:
            st, raw = docker_once(d.path, "GET", f"/containers/json?all=1&filters={filt}")
            running = {c["Id"] for c in json.loads(raw) if c.get("State") == "running"}
            if all(c in running for c in cids):
                break
            if time.perf_counter() - t0 > 60:
                raise RuntimeError("Engine API: the 3 containers not running within 60 s")
            time.sleep(0.005)
        return time.perf_counter() - t0

    def reset():
        d.ensure_stopped(mids + cids)
        time.sleep(0.3)

    res = {"madre": [], "engine": [], "warmup": {}}
    t_start = time.monotonic()
    rounds = ctx.cfg["ove_rounds"]
    for r in range(-1, rounds):  # round -1: warm-up, not counted
        for arm in (("madre", "engine") if r % 2 == 0 else ("engine", "madre")):
            reset()
            if arm == "madre":
                took, wid = madre_arm()
                m.close(wid)
            else:
                took = engine_arm()
                d.parallel(lambda i: d.stop(i, 2), cids)
            if r < 0:
                res["warmup"][arm] = took
            else:
                res[arm].append(took)
    reset()
    a = statistics.median(res["madre"])
    b = statistics.median(res["engine"])
    res.update({"rounds": rounds, "ratio": a / b,
                "paired": [x / y for x, y in zip(res["madre"], res["engine"])],
                "elapsed_sec": time.monotonic() - t_start})
    log(f"open 3 vs Engine API: madre {a * 1000:.0f} ms, Engine API {b * 1000:.0f} ms = "
        f"{res['ratio']:.3f} x, paired median {statistics.median(res['paired']):.3f} "
        f"({res['elapsed_sec']:.0f} s)")
    return res


SLOWHC_YAML = """# Generated by bench/run.sh: one service with the real VX11 stack's healthcheck cadence.
services:
  hc:
    image: %s
    pull_policy: never
    stop_grace_period: 2s
    environment: {SERVICE_NAME: hc, PORT: "8080"}
    healthcheck:
      test: ["CMD-SHELL", "wget -q -O- http://127.0.0.1:$$PORT/health"]
      interval: 30s
      timeout: 5s
      start_period: 60s
      retries: 3
""" % IMAGE
SLOWHC_CHECK = ["/bin/sh", "-c", "wget -q -O- http://127.0.0.1:$PORT/health"]


def bench_slow_healthcheck(ctx, m, main_ids, ref_ids):
    """Time to ready of a stopped service whose Docker healthcheck runs every 30 s (start_period
    60 s), as on the real VX11 stack; Docker 20.10 would first run it 30 s after the start.

    madre: POST /madre/power/windows/open {"services":["hc"],"wait":true} (readiness included)
    on madre's project, until the answer (state `open`): madre runs the container's own check
    itself from the start until it passes. Floor, on an identical container of another project:
    POST /containers/ID/start, then the same check through the Engine API exec (POST
    /containers/ID/exec, POST /exec/ID/start attached, read to its end, GET /exec/ID/json for
    the exit code), repeated until it exits 0 (normally the first), all from one external client
    on fresh connections. Rounds alternate the order; every container is stopped and left 0.3 s
    between runs; a first round of each arm is not counted."""
    d = ctx.docker
    mid = main_ids["hc"]
    rid = ref_ids["hc"]
    open_body = {"services": ["hc"], "wait": True, "wait_timeout_sec": 120, "ttl_sec": 600,
                 "reason": "bench slow_healthcheck"}

    def madre_arm():
        st, raw, took = http_once(m.port, "POST", "/madre/power/windows/open", m.token, open_body,
                                  timeout=180)
        obj = json.loads(raw) if raw else {}
        if st != 200 or obj.get("state") != "open":
            raise RuntimeError(f"madre open: HTTP {st}: {raw[:300]!r}")
        m.windows_opened += 1
        return took, obj["window_id"], obj["services_status"]["hc"].get("health")

    def exec_check(cid):
        body = json.dumps({"AttachStdout": True, "AttachStderr": True, "Cmd": SLOWHC_CHECK})
        st, raw = docker_once(d.path, "POST", f"/containers/{cid}/exec", body=body)
        if st != 201:
            raise RuntimeError(f"exec create: HTTP {st} {raw[:200]!r}")
        eid = json.loads(raw)["Id"]
        st, raw = docker_once(d.path, "POST", f"/exec/{eid}/start",
                              body=json.dumps({"Detach": False, "Tty": False}))
        if st != 200:
            raise RuntimeError(f"exec start: HTTP {st} {raw[:200]!r}")
        st, raw = docker_once(d.path, "GET", f"/exec/{eid}/json")
        return json.loads(raw).get("ExitCode")

    def floor_arm():
        t0 = time.perf_counter()
        st, raw = docker_once(d.path, "POST", f"/containers/{rid}/start")
        if st not in (204, 304):
            raise RuntimeError(f"start: HTTP {st} {raw[:200]!r}")
        tries = 0
        while True:
            tries += 1
            if exec_check(rid) == 0:
                break
            if time.perf_counter() - t0 > 60:
                raise RuntimeError("the check did not pass within 60 s")
        return time.perf_counter() - t0, tries

    def reset():
        d.ensure_stopped([mid, rid])
        time.sleep(0.3)

    res = {"madre": [], "floor": [], "floor_tries": [], "docker_health_at_open": [], "warmup": {}}
    t_start = time.monotonic()
    rounds = ctx.cfg["slowhc_rounds"]
    for r in range(-1, rounds):  # round -1: warm-up, not counted
        for arm in (("madre", "floor") if r % 2 == 0 else ("floor", "madre")):
            reset()
            if arm == "madre":
                took, wid, health = madre_arm()
                m.close(wid)
                if r >= 0:
                    res["docker_health_at_open"].append(health)
            else:
                took, tries = floor_arm()
                d.stop(rid, 2)
                if r >= 0:
                    res["floor_tries"].append(tries)
            if r < 0:
                res["warmup"][arm] = took
            else:
                res[arm].append(took)
    reset()
    a = statistics.median(res["madre"])
    b = statistics.median(res["floor"])
    res.update({"rounds": rounds, "ratio": a / b,
                "paired": [x / y for x, y in zip(res["madre"], res["floor"])],
                "elapsed_sec": time.monotonic() - t_start})
    log(f"ready with a 30 s healthcheck: madre {a * 1000:.0f} ms, start + exec {b * 1000:.0f} ms "
        f"= {res['ratio']:.3f} x (Docker's health at madre's answer: "
        f"{sorted(set(map(str, res['docker_health_at_open'])))}; {res['elapsed_sec']:.0f} s)")
    return res


def example_yaml(repo):
    """examples/vx11/docker-compose.yml as it is (its 30 s healthchecks, 60 s start period,
    dependency graph and profiles), without its host ports: the bench publishes none."""
    with open(os.path.join(repo, "examples", "vx11", "docker-compose.yml")) as f:
        lines = f.read().splitlines()
    kept = [ln for ln in lines if not ln.strip().startswith("ports:")]
    if len(lines) - len(kept) < 5:
        raise RuntimeError("examples/vx11/docker-compose.yml: its ports lines were not found")
    return "\n".join(kept) + "\n"


EXAMPLE_SERVICES = ["redis", "tentaculo_link", "switch", "hermes", "hormiguero"]


def bench_example_open(ctx, project):
    """Issue 10's first goal, on the example stack of the real shape (examples/vx11, its 30 s
    healthchecks): a madre configured as examples/vx11/madre.toml (redis and, core mode, the
    gateway tentaculo_link always on); each round opens [switch, hermes] with the original
    clients' POST /madre/power/window/open (answered within compat_open_wait_sec = 4 s, `open`
    once ready) from stopped containers, then closes the window (stops them). `answer`: the
    request's round trip; `open`: until the window is `open` (the answer itself when it says
    so, else polled every 50 ms). A first round is not counted."""
    d = ctx.docker
    ids = d.containers(project)
    m = Madre(ctx, "example", project, {"VX11_ALWAYS_ON": "madre,redis",
                                         "VX11_POWER_WINDOWS_CORE_MODE": "1",
                                         "VX11_COMPAT_OPEN_WAIT_SEC": "4"})
    try:
        end = time.monotonic() + 120
        while True:  # the start-up reconcile starts the always-on services
            st, obj, _ = m.req("GET", "/madre/power/status")
            ready = {s["service"]: s.get("ready") for s in obj.get("services", [])} \
                if st == 200 and isinstance(obj, dict) else {}
            if ready.get("redis") and ready.get("tentaculo_link"):
                break
            if time.monotonic() > end:
                raise RuntimeError(f"always-on services not ready within 120 s: {ready}")
            time.sleep(0.1)
        targets = [ids["switch"], ids["hermes"]]
        res = {"answer": [], "open": [], "answer_state": [], "warmup": None}
        for r in range(-1, ctx.cfg["example_rounds"]):
            d.ensure_stopped(targets)
            time.sleep(0.3)
            t0 = time.perf_counter()
            st, w, t_answer = m.req("POST", "/madre/power/window/open",
                                    {"services": ["switch", "hermes"], "ttl_sec": 600,
                                     "reason": "bench example_open"})
            if st != 200 or not isinstance(w, dict) or "window_id" not in w:
                raise RuntimeError(f"window/open: HTTP {st}: {str(w)[:300]}")
            state = w.get("state")
            while state != "open":
                if state not in ("opening", "pending") or time.perf_counter() - t0 > 60:
                    raise RuntimeError(f"window {w['window_id']}: {state} ({str(w)[:300]})")
                time.sleep(0.05)
                _, w, _ = m.req("GET", f"/madre/power/windows/{w['window_id']}")
                state = w.get("state")
            t_open = time.perf_counter() - t0
            if not all(d.running(i) for i in targets):
                raise RuntimeError("window open but switch or hermes not running")
            m.close(w["window_id"])
            if r < 0:
                res["warmup"] = {"answer": t_answer, "open": t_open}
                continue
            res["answer"].append(t_answer)
            res["open"].append(t_open)
            res["answer_state"].append(w.get("state") if t_open == t_answer else "opening")
        res["ops"] = last_open_ops(m, project)
        d.ensure_stopped(list(ids.values()))
        log(f"example stack: [switch, hermes] answer median "
            f"{statistics.median(res['answer']) * 1000:.0f} ms, open median "
            f"{statistics.median(res['open']) * 1000:.0f} ms over {len(res['open'])} rounds")
        return res
    finally:
        m.stop()


SLOW_OPENS = 8


def slow_project_yaml(dead_port, timeout):
    out = [
        "# Generated by bench/run.sh: `fast` (a plain service) and slow1..slow8, whose readiness",
        "# probe names a loopback port where nothing listens: their readiness never comes.",
        "x-svc: &svc",
        f"  image: {IMAGE}",
        "  pull_policy: never",
        "  stop_grace_period: 2s",
        "",
        "services:",
        "  fast:",
        "    <<: *svc",
        '    environment: {SERVICE_NAME: fast, PORT: "8080"}',
    ]
    for i in range(1, SLOW_OPENS + 1):
        out += [f"  slow{i}:", "    <<: *svc",
                f'    environment: {{SERVICE_NAME: slow{i}, PORT: "8080"}}',
                "    labels:", f'      vx11.health.tcp: "127.0.0.1:{dead_port}"',
                f'      vx11.health.timeout_sec: "{timeout}"']
    return "\n".join(out) + "\n"


def bench_ttl_slow_opens(ctx, project, ids):
    """A window with a 3 s TTL on `fast`, then 8 windows opened without `wait` on slow1..slow8,
    whose readiness never comes (a TCP probe of a loopback port nobody listens on, with
    vx11.health.timeout_sec far beyond the deadline): at the deadline the 8 opens are in flight.
    Measured: Docker's State.FinishedAt of `fast` minus the window's `deadline`. Each round then
    closes the 8 windows and waits until their readiness limit has passed, so that the next
    round starts from an idle madre. A madre of its own on a project of its own."""
    d = ctx.docker
    timeout = ctx.cfg["slow_timeout_sec"]
    rounds = ctx.cfg["slow_rounds"]
    ttl = 3
    bound = 2 * timeout + 15  # an old madre's 4 workers run the 8 waits in two batches
    fast = ids["fast"]
    sm = Madre(ctx, "slow", project)
    samples = []
    t_start = time.monotonic()
    try:
        for r in range(rounds):
            d.ensure_stopped(list(ids.values()))
            time.sleep(0.3)
            w, _ = sm.open(["fast"], skip_health=True, ttl_sec=ttl)
            deadline = parse_time(w["deadline"])
            t_slow = time.monotonic()
            slow = []
            for i in range(1, SLOW_OPENS + 1):
                st, raw, _ = http_once(sm.port, "POST", "/madre/power/windows/open", sm.token,
                                       {"services": [f"slow{i}"], "wait": False, "ttl_sec": 600,
                                        "reason": "bench slow open"}, timeout=30)
                obj = json.loads(raw) if raw else {}
                if st not in (200, 202) or "window_id" not in obj:
                    raise RuntimeError(f"slow open {i}: HTTP {st}: {raw[:300]!r}")
                slow.append(obj["window_id"])
            sent = time.time()
            # Just before the deadline: how many of the 8 opens are still in flight?
            while time.time() < deadline - 0.3:
                time.sleep(0.02)
            in_flight = 0
            for wid in slow:
                try:
                    st, raw, _ = http_once(sm.port, "GET", f"/madre/power/windows/{wid}", sm.token,
                                           timeout=2)
                    if st == 200 and json.loads(raw).get("state") == "opening":
                        in_flight += 1
                except OSError:
                    pass
            # Docker's word: poll until `fast` stopped, then read its FinishedAt.
            stopped = None
            while time.time() < deadline + bound:
                if not d.running(fast):
                    stopped = time.time()
                    break
                time.sleep(0.02)
            lag = None
            if stopped is not None:
                lag = parse_time(d.inspect(fast)["State"]["FinishedAt"]) - deadline
            # The window's own record of it.
            reason = None
            end = time.monotonic() + 15
            while time.monotonic() < end:
                _, obj, _ = sm.req("GET", f"/madre/power/windows/{w['window_id']}")
                if obj.get("state") in ("closed", "failed"):
                    reason = obj.get("close_reason")
                    break
                time.sleep(0.05)
            sample = {"lag": lag, "timed_out": stopped is None, "bound": bound,
                      "in_flight_at_deadline": in_flight, "opens_sent_before_deadline":
                      deadline - sent, "close_reason": reason}
            samples.append(sample)
            log(f"ttl with {SLOW_OPENS} slow opens, round {r + 1}: " +
                (f"FinishedAt - deadline {lag * 1000:.0f} ms" if lag is not None
                 else f"`fast` still running {bound} s after the deadline") +
                f"; {in_flight}/{SLOW_OPENS} opens in flight at the deadline; "
                f"close reason {reason}")
            # Clean up the round: close the 8 (bounded: an old madre queues the stops behind
            # the readiness waits), then let every readiness limit pass.
            def close(wid):
                try:
                    http_once(sm.port, "POST", "/madre/power/windows/close", sm.token,
                              {"window_id": wid}, timeout=bound + 30)
                except OSError as e:
                    log(f"close {wid}: {e}")
            threads = [threading.Thread(target=close, args=(wid,)) for wid in slow]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            left = t_slow + timeout + 1 - time.monotonic()
            if left > 0:
                time.sleep(left)
    finally:
        sm.stop()
        d.ensure_stopped(list(ids.values()))
    lags = [s["lag"] if s["lag"] is not None else math.inf for s in samples]
    res = {"rounds": rounds, "ttl_sec": ttl, "slow_opens": SLOW_OPENS, "slow_timeout_sec": timeout,
           "samples": samples, "p50": pct(lags, 0.5), "max": max(lags),
           "elapsed_sec": time.monotonic() - t_start}
    log(f"ttl with slow opens: p50 {res['p50']:.3f} s, max {res['max']:.3f} s "
        f"({res['elapsed_sec']:.0f} s)")
    return res


# --------------------------------------------------------------------------------------------
# 6: idle cost


def bench_idle(ctx, m):
    secs = ctx.cfg["idle_sec"]
    time.sleep(2)
    a = m.proc_stat()
    time.sleep(secs)
    b = m.proc_stat()
    res = {"seconds": secs, "cpu_sec": b["cpu_sec"] - a["cpu_sec"], "ticks": b["ticks"] - a["ticks"],
           "ctx_switches": b["ctx_switches"] - a["ctx_switches"], "rss_kb": b["rss_kb"],
           "anon_kb": b.get("anon_kb", 0),
           "hwm_kb": b["hwm_kb"], "threads": b["threads"]}
    log(f"idle {secs} s: cpu {res['cpu_sec']:.3f} s, {res['ctx_switches']} context switches, "
        f"RSS {res['rss_kb'] / 1024:.1f} MiB (peak {res['hwm_kb'] / 1024:.1f} MiB)")
    return res


# --------------------------------------------------------------------------------------------
# 14: an intent from the hormiguero queen, as the original client sends it


# The token-less intake allows a burst of 10 per source (then one every 6 s), so each open
# source takes one burst: 5 new intents and 5 resubmissions of them.
INTENT_PER_SOURCE = 5


def bench_intent(ctx, project):
    sources = [f"hormiguero-{i}" for i in range(ctx.cfg["intent_sources"])]
    m = Madre(ctx, "intent", project, {"VX11_INTENT_OPEN_SOURCES": ",".join(sources)})
    try:
        def post(body, auth):
            # A new connection per request, as the queen's `requests.post` makes one.
            c = http.client.HTTPConnection("127.0.0.1", m.port, timeout=30)
            headers = {"Content-Type": "application/json"}
            if auth:
                headers["X-VX11-Token"] = m.token
            t0 = time.perf_counter()
            try:
                c.request(body and "POST" or "GET", body and "/madre/intent" or "/health",
                          body=body and json.dumps(body).encode(), headers=headers)
                r = c.getresponse()
                raw = r.read()
            finally:
                c.close()
            took = time.perf_counter() - t0
            if r.status != 200:
                raise RuntimeError(f"HTTP {r.status}: {raw[:300]!r}")
            return (json.loads(raw) if body else None), took

        new, dup, floor = [], [], []
        ids = {}
        for src in sources:
            for k in range(INTENT_PER_SOURCE):
                queen = {"type": "spawn", "payload": {"task": "scan", "n": k},
                         "correlation_id": f"{src}-{k}", "source": src}
                _, f = post(None, False)
                floor.append(f)
                obj, t = post(queen, False)
                if obj.get("status") != "pending" or obj.get("duplicate"):
                    raise RuntimeError(f"new intent: {obj}")
                ids[queen["correlation_id"]] = obj["intent_id"]
                new.append(t)
                again, t = post(queen, False)
                if again.get("intent_id") != obj["intent_id"] or not again.get("duplicate"):
                    raise RuntimeError(f"resubmission answered another intent: {again} vs {obj}")
                dup.append(t)
        st, listed, _ = m.req("GET", f"/madre/intents?limit={len(ids) + 10}")
        stored = {i.get("correlation_id") for i in (listed or {}).get("intents", [])} \
            if st == 200 and isinstance(listed, dict) else set()
        missing = [c for c in ids if c not in stored]
        if missing:
            raise RuntimeError(f"{len(missing)} answered intents not listed, e.g. {missing[:3]}")
        s_new, s_dup, s_floor = summary(new), summary(dup), summary(floor)
        log(f"intent: new median {s_new['median'] * 1000:.2f} ms (max {s_new['max'] * 1000:.2f}), "
            f"resubmitted {s_dup['median'] * 1000:.2f} ms, GET /health {s_floor['median'] * 1000:.2f} ms")
        return {"new": new, "duplicate": dup, "floor": floor, "sources": len(sources),
                "per_source": INTENT_PER_SOURCE}
    finally:
        m.stop()


# --------------------------------------------------------------------------------------------
# 15: autofix, from a window service's failure to its diagnosis (issue 12)


AUTOFIX_YAML = """# Generated by bench/run.sh: a service whose command does not exist (exit 127), no ports.
services:
  broken:
    image: %s
    pull_policy: never
    stop_grace_period: 2s
    command: ["sh", "-c", "echo starting; nosuchcmd --serve"]
""" % IMAGE
AUTOFIX_WAIT_SEC = 30.0  # bound on the wait for each round's `autofix.diagnosed`


def bench_autofix(ctx, project):
    """Each round opens a window of `broken` (exit 127), waits for a NEW `autofix.diagnosed`
    audit record of it, and measures its `time` minus Docker's `State.FinishedAt` of the
    container. The diagnosis (GET /madre/autofix/diagnoses) must be one more per round."""
    m = Madre(ctx, "autofix", project)
    d = ctx.docker
    try:
        def last_seq():
            st, obj, _ = m.req("GET", "/madre/power/audit?limit=1")
            if st != 200 or not isinstance(obj, dict):
                raise RuntimeError(f"GET /madre/power/audit: HTTP {st}: {str(obj)[:300]}")
            recs = obj.get("records", [])
            return recs[0]["seq"] if recs else 0

        def diagnoses():
            st, obj, _ = m.req("GET", "/madre/autofix/diagnoses?limit=100")
            if st != 200 or not isinstance(obj, dict):
                raise RuntimeError(f"GET /madre/autofix/diagnoses: HTTP {st}: {str(obj)[:300]}")
            return obj.get("diagnoses", [])

        def window_live(wid):
            st, obj, _ = m.req("GET", f"/madre/power/windows/{wid}")
            return st == 200 and isinstance(obj, dict) and obj.get("state") in ("opening", "open")

        latencies, rounds = [], []
        before = len(diagnoses())
        for k in range(ctx.cfg["autofix_rounds"]):
            seq = last_seq()
            t_req = time.time()
            st, opened, took = m.req("POST", "/madre/power/windows/open",
                                     {"services": ["broken"], "ttl_sec": 60, "wait": True,
                                      "wait_timeout_sec": 60, "reason": "bench"})
            wid = opened.get("window_id") if isinstance(opened, dict) else None
            state = opened.get("state") if isinstance(opened, dict) else None
            # Bounded wait for this round's record: a new seq, action autofix.diagnosed, broken.
            rec = None
            end = time.monotonic() + AUTOFIX_WAIT_SEC
            while rec is None:
                st2, obj, _ = m.req("GET", f"/madre/power/audit?after={seq}&limit=1000")
                if st2 != 200 or not isinstance(obj, dict):
                    raise RuntimeError(f"GET /madre/power/audit: HTTP {st2}: {str(obj)[:300]}")
                for r in obj.get("records", []):
                    if r.get("action") == "autofix.diagnosed" and "broken" in r.get("services", []):
                        rec = r
                        break
                if rec is None:
                    if time.monotonic() > end:
                        raise RuntimeError(
                            f"round {k + 1}: no new autofix.diagnosed record of broken within "
                            f"{AUTOFIX_WAIT_SEC:.0f} s (open answered HTTP {st}, state {state})")
                    time.sleep(0.05)
            if rec.get("reason") != "command_not_found":
                raise RuntimeError(f"round {k + 1}: diagnosed {rec.get('reason')!r}, expected "
                                   f"command_not_found: {rec.get('detail', '')[:300]}")
            ids = d.containers(project)
            if "broken" not in ids:
                raise RuntimeError(f"round {k + 1}: no container of service broken in {project}")
            cstate = d.inspect(ids["broken"])["State"]
            if cstate.get("Running") or cstate.get("ExitCode") != 127:
                raise RuntimeError(f"round {k + 1}: container of broken: running "
                                   f"{cstate.get('Running')}, exit code {cstate.get('ExitCode')}")
            finished = parse_time(cstate["FinishedAt"])
            if finished < t_req - 1.0:  # a generous skew allowance; a stale exit is far older
                raise RuntimeError(f"round {k + 1}: FinishedAt {cstate['FinishedAt']} is before "
                                   "the open: the container did not run this round")
            lat = parse_time(rec["time"]) - finished
            latencies.append(lat)
            # The incident ends when no live window wants broken: make sure the window is over,
            # then check that this round made exactly one new diagnosis, with its evidence.
            if wid and window_live(wid):
                m.req("POST", "/madre/power/windows/close", {"window_id": wid})
            end = time.monotonic() + AUTOFIX_WAIT_SEC
            while True:
                listed = diagnoses()
                if len(listed) >= before + k + 1 or time.monotonic() > end:
                    break
                time.sleep(0.05)
            if len(listed) != before + k + 1:
                raise RuntimeError(f"round {k + 1}: {len(listed) - before} diagnoses listed after "
                                   f"{k + 1} rounds (one incident per round expected)")
            newest = listed[0]
            evidence = newest.get("evidence", [])
            if newest.get("service") != "broken" or "State.ExitCode: 127" not in evidence:
                raise RuntimeError(f"round {k + 1}: newest diagnosis lacks State.ExitCode: 127: "
                                   f"{str(newest)[:400]}")
            st3, recs, _ = m.req("GET", f"/madre/power/audit?after={seq}&limit=1000")
            audited = [{"action": r.get("action"), "outcome": r.get("outcome"),
                        "time": r.get("time"), "ops": r.get("ops", [])}
                       for r in reversed((recs or {}).get("records", []))] \
                if st3 == 200 and isinstance(recs, dict) else []
            rounds.append({"open_http": st, "open_state": state, "open_sec": took,
                           "exit_after_request_sec": finished - t_req, "audited": audited,
                           "started_at": cstate.get("StartedAt"),
                           "finished_at": cstate["FinishedAt"], "audit_time": rec["time"],
                           "latency_sec": lat, "failure": newest.get("failure"),
                           "evidence": evidence, "detail": rec.get("detail", "")})
            log(f"autofix round {k + 1}: diagnosed {rec['reason']} {lat * 1000:.0f} ms after "
                f"the exit (open answered {st} {state} in {took * 1000:.0f} ms)")
            # A later failure must be a new incident: let the engine see the window gone.
            time.sleep(1.0)
        s = summary(latencies)
        log(f"autofix: exit -> diagnosed median {s['median'] * 1000:.0f} ms, "
            f"max {s['max'] * 1000:.0f} ms over {s['n']}")
        return {"latency": latencies, "rounds": rounds,
                "evidence_ok": all("State.ExitCode: 127" in r["evidence"] for r in rounds)}
    finally:
        m.stop()


# --------------------------------------------------------------------------------------------
# 16: Swarm (issue 13): open and close of 3 services by madre (VX11_PROVIDER=swarm) against
# `docker service scale` and direct Engine API service updates


SWARM_LOCK = "/tmp/madre-swarm.lock"
SWARM_SERVICES = ["s1", "s2", "s3"]
SWARM_WAIT_SEC = 90.0  # bound on each wait for tasks to run or to be gone


def swarm_stack_yaml():
    """A stack file `docker stack deploy` (20.10) takes: version 3.8, no published ports, the
    500 ms healthcheck of the compose benchmarks, one replica each."""
    out = ['version: "3.8"',
           "# Generated by bench/run.sh (swarm step): 3 FROM-scratch services, no published ports.",
           "services:"]
    for s in SWARM_SERVICES:
        out += [f"  {s}:",
                f"    image: {IMAGE}",
                f'    environment: {{SERVICE_NAME: {s}, PORT: "8080"}}',
                "    stop_grace_period: 2s",
                "    healthcheck:",
                '      test: ["CMD-SHELL", "wget -q -O- http://127.0.0.1:8080/health"]',
                "      interval: 500ms",
                "      timeout: 2s",
                "      retries: 60",
                "    deploy:",
                "      replicas: 1"]
    return "\n".join(out) + "\n"


def docker_cli(argv, timeout=120, check=True):
    r = subprocess.run(["docker"] + argv, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError(f"docker {' '.join(argv)} failed ({r.returncode}): "
                           f"{(r.stderr or r.stdout).strip()[-400:]}")
    return r


def _lock_inode_holders(path):
    """PIDs that hold a FLOCK on `path` (from /proc/locks)."""
    try:
        inode = os.stat(path).st_ino
        with open("/proc/locks") as f:
            lines = f.read().splitlines()
    except OSError:
        return set()
    pids = set()
    for ln in lines:
        parts = ln.split()
        if len(parts) >= 6 and parts[1] == "FLOCK" and parts[5].rsplit(":", 1)[-1] == str(inode):
            try:
                pids.add(int(parts[4]))
            except ValueError:
                pass
    return pids


def _ancestors():
    pids, pid = set(), os.getppid()
    while pid > 1 and pid not in pids:
        pids.add(pid)
        try:
            with open(f"/proc/{pid}/stat") as f:
                pid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
    return pids


class SwarmLock:
    """fcntl.flock on /tmp/madre-swarm.lock, the lock the lead's swarm integration runs take:
    a swarm init or leave on the machine's dockerd breaks other tests' published ports while it
    happens. Waited for at most `bound` seconds. When an ancestor of this process already holds
    it (`flock /tmp/madre-swarm.lock bench/run.sh ...`), it is ours: nothing more is taken."""

    def __init__(self, bound):
        self.bound = bound
        self.f = None
        self.waited = 0.0
        self.inherited = False

    def __enter__(self):
        t0 = time.monotonic()
        self.f = open(SWARM_LOCK, "a")
        logged = False
        while True:
            try:
                fcntl.flock(self.f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holders = _lock_inode_holders(SWARM_LOCK)
                if holders & _ancestors():
                    self.inherited = True
                    self.f.close()
                    self.f = None
                    log(f"swarm: {SWARM_LOCK} is held by a parent of this run: taken as ours")
                    break
                if not logged:
                    logged = True
                    log(f"swarm: waiting for {SWARM_LOCK} (held by pid "
                        f"{', '.join(map(str, sorted(holders))) or '?'}), at most "
                        f"{self.bound:.0f} s")
                if time.monotonic() - t0 > self.bound:
                    self.f.close()
                    self.f = None
                    raise RuntimeError(f"{SWARM_LOCK} still held by another run after "
                                       f"{self.bound:.0f} s: the swarm step did not run")
                time.sleep(1.0)
        self.waited = time.monotonic() - t0
        return self

    def __exit__(self, *exc):
        if self.f is not None:
            fcntl.flock(self.f, fcntl.LOCK_UN)
            self.f.close()
            self.f = None
        return False


def _swarm_marker(work, line):
    """What run.sh's trap must undo if this process dies before its own cleanup: stacks
    deployed, a swarm made (`python3 bench/bench.py --swarm-cleanup WORK`)."""
    with open(os.path.join(work, "swarm"), "a") as f:
        f.write(line + "\n")


def swarm_node_state():
    return docker_cli(["info", "--format", "{{.Swarm.LocalNodeState}}"], timeout=30).stdout.strip()


def _ingress_left():
    r = docker_cli(["network", "ls", "--format", "{{.Name}}"], timeout=30, check=False)
    return r.returncode == 0 and "ingress" in r.stdout.split()


def _wait(pred, bound, period=0.5):
    end = time.monotonic() + bound
    while True:
        if pred():
            return True
        if time.monotonic() > end:
            return False
        time.sleep(period)


def swarm_teardown(work, stacks, made, gwbridge_existed):
    """Removes `stacks`, then (only when this run made the swarm) leaves it, as
    tests/integration/swarm_itest.cc does: dockerd 20.10 sometimes keeps a stale `ingress`
    network after a leave that follows the init closely; a second swarm, left once its ingress
    is set up, takes it away. Errors are logged, never raised: everything is tried."""
    problems = []
    for stack in stacks:
        r = docker_cli(["stack", "rm", stack], timeout=90, check=False)
        if r.returncode != 0:
            problems.append(f"docker stack rm {stack}: {r.stderr.strip()[-200:]}")
        gone = _wait(lambda: not docker_cli(
            ["network", "ls", "-q", "--filter", f"label=com.docker.stack.namespace={stack}"],
            timeout=30, check=False).stdout.strip(), 30)
        if not gone:
            problems.append(f"the network of stack {stack} was still there after 30 s")
    if made:
        r = docker_cli(["swarm", "leave", "--force"], timeout=90, check=False)
        if r.returncode != 0:
            problems.append(f"docker swarm leave --force: {r.stderr.strip()[-200:]}")
        if not _wait(lambda: not _ingress_left(), 10):
            log("swarm: a stale ingress network after the leave; a second swarm takes it away")
            docker_cli(["swarm", "init", "--advertise-addr", "127.0.0.1"], timeout=90, check=False)
            time.sleep(5)
            docker_cli(["swarm", "leave", "--force"], timeout=90, check=False)
            if not _wait(lambda: not _ingress_left(), 15):
                problems.append("a stale ingress network is left after docker swarm leave")
        if not gwbridge_existed:
            _wait(lambda: docker_cli(["network", "rm", "docker_gwbridge"], timeout=30,
                                     check=False).returncode == 0
                  or "docker_gwbridge" not in docker_cli(["network", "ls", "--format",
                                                          "{{.Name}}"], timeout=30,
                                                         check=False).stdout.split(), 15)
        state = swarm_node_state()
        if state != "inactive":
            problems.append(f"the engine's swarm state after the leave is {state}")
    with open(os.path.join(work, "swarm.done"), "w") as f:
        f.write("\n".join(problems) + "\n")
    for p in problems:
        log(f"swarm cleanup: {p}")
    log(f"swarm: {len(stacks)} stack(s) removed" + (", the swarm left" if made else "")
        + (f"; {len(problems)} problem(s)" if problems else ""))
    return problems


def swarm_cleanup_from_marker(work):
    """run.sh's trap, when bench.py died before its own swarm cleanup: what the marker lists,
    under the same lock."""
    path = os.path.join(work, "swarm")
    if not os.path.exists(path) or os.path.exists(os.path.join(work, "swarm.done")):
        return 0
    stacks, made, gwbridge_existed = [], False, True
    with open(path) as f:
        for ln in f.read().splitlines():
            key, _, value = ln.partition(" ")
            if key == "stack":
                stacks.append(value)
            elif key == "made":
                made = True
            elif key == "gwbridge_existed":
                gwbridge_existed = value == "1"
    with SwarmLock(300):
        if os.path.exists(os.path.join(work, "swarm.done")):
            return 0  # bench.py finished its own cleanup while this waited for the lock
        log(f"swarm cleanup after an interrupted run: stacks {stacks}, leave: {made}")
        return 1 if swarm_teardown(work, stacks, made, gwbridge_existed) else 0


class SwarmApi:
    """The stack's services over the Engine API, each call on a fresh unix-socket connection
    (as the other Engine API arms)."""

    def __init__(self, sock_path):
        self.path = sock_path

    def call(self, method, path, body=None, ok=(200,)):
        st, raw = docker_once(self.path, method, path, body=None if body is None
                              else json.dumps(body))
        if st not in ok:
            raise RuntimeError(f"{method} {path}: HTTP {st}: {raw[:300]!r}")
        return json.loads(raw) if raw else None

    def services(self, stack):
        f = urllib.parse.quote(json.dumps({"label": [f"com.docker.stack.namespace={stack}"]}))
        return {s["Spec"]["Name"]: s["ID"] for s in self.call("GET", f"/services?filters={f}")}

    def running(self, ids):
        """Per service id: (tasks running and wanted running, tasks running at all)."""
        f = urllib.parse.quote(json.dumps({"service": list(ids)}))
        out = {i: [0, 0] for i in ids}
        for t in self.call("GET", f"/tasks?filters={f}"):
            if t.get("ServiceID") in out and (t.get("Status") or {}).get("State") == "running":
                out[t["ServiceID"]][1] += 1
                if t.get("DesiredState") == "running":
                    out[t["ServiceID"]][0] += 1
        return out

    def scale(self, sid, n):
        """GET the service, POST its whole spec with Replicas = n (retried on a version
        conflict, as madre's SwarmClient does)."""
        for attempt in range(4):
            svc = self.call("GET", f"/services/{sid}")
            spec = svc["Spec"]
            spec["Mode"]["Replicated"]["Replicas"] = n
            st, raw = docker_once(self.path, "POST",
                                  f"/services/{sid}/update?version={svc['Version']['Index']}",
                                  body=json.dumps(spec))
            if st == 200:
                return
            if b"out of sequence" not in raw or attempt == 3:
                raise RuntimeError(f"update of {sid[:12]}: HTTP {st}: {raw[:300]!r}")
        raise AssertionError("unreachable")

    def wait(self, ids, up, bound=SWARM_WAIT_SEC, period=0.02):
        """Until every service runs exactly one task wanted running (`up`), or none of their
        tasks runs at all (not `up`: also the ones a scale-down still shuts down)."""
        end = time.monotonic() + bound
        while True:
            r = self.running(ids)
            if all((v[0] == 1) if up else (v[1] == 0) for v in r.values()):
                return
            if time.monotonic() > end:
                raise RuntimeError(f"tasks not {'up' if up else 'gone'} within {bound:.0f} s: "
                                   f"{r}")
            time.sleep(period)


def last_audit_ops(m, action, stack):
    _, obj, _ = m.req("GET", "/madre/power/audit?limit=20")
    for a in obj["records"]:  # newest first
        if a["action"] == action:
            return [{"command": o["command"].replace(stack, "P"),
                     "elapsed_ms": o["elapsed_ms"],
                     "detail": (o.get("output") or "").strip()[:120].replace(stack, "P")}
                    for o in a.get("ops", [])]
    return None


def bench_swarm(ctx):
    """Makes the machine's dockerd a single-node swarm if it is in none (and leaves it at the
    end, only then), under /tmp/madre-swarm.lock; deploys two identical stacks of s1..s3 (500 ms
    healthchecks): madre's (`VX11_PROVIDER=swarm`, `VX11_EXTERNAL_START=stop`) and a mirror for
    the references (a service of madre's stack that madre did not start would be scaled down
    or adopted). Each round, in rotating order, times open (until each service runs its task,
    healthy) and close (until no task of the 3 runs) by: madre (POST windows/open with wait,
    POST windows/close, then the Engine API polled until no task runs); `docker service scale
    --detach=false s1=1 s2=1 s3=1` then `=0` (plus the same poll); Engine API updates of the 3
    services in parallel, then the poll. A first round is not counted."""
    cfg = ctx.cfg
    res = {"rounds": 0, "warmup": {},
           "arms": {a: {"open": [], "close": []} for a in ("madre", "cli", "engine")}}
    res["arms"]["madre"]["close_answer"] = []
    t_all = time.monotonic()
    bound = cfg["swarm_bound_sec"]
    with SwarmLock(cfg["swarm_lock_wait_sec"]) as lock:
        res["lock_wait_sec"] = lock.waited
        res["lock_inherited"] = lock.inherited
        state = swarm_node_state()
        if state not in ("inactive", "active"):
            raise RuntimeError(f"the engine's swarm state is {state}: not touched")
        made = state == "inactive"
        gwbridge_existed = docker_cli(["network", "inspect", "docker_gwbridge"], timeout=30,
                                      check=False).returncode == 0
        res["swarm_made"] = made
        stacks = []
        m = None
        try:
            if made:
                _swarm_marker(ctx.work, "gwbridge_existed " + ("1" if gwbridge_existed else "0"))
                _swarm_marker(ctx.work, "made 1")
                t0 = time.monotonic()
                docker_cli(["swarm", "init", "--advertise-addr", "127.0.0.1"], timeout=90)
                log(f"swarm: single-node swarm made in {time.monotonic() - t0:.1f} s")
            else:
                log("swarm: the engine is in a swarm already: used, and left as it is")
            d = os.path.join(ctx.work, f"{ctx.prefix}_w")
            os.makedirs(d, exist_ok=True)
            stack_file = os.path.join(d, "stack.yml")
            with open(stack_file, "w") as f:
                f.write(swarm_stack_yaml())
            main_s, ref_s = f"{ctx.prefix}_w", f"{ctx.prefix}_wr"
            api = SwarmApi(ctx.docker.path)
            for s in (main_s, ref_s):
                _swarm_marker(ctx.work, f"stack {s}")
                stacks.append(s)
                docker_cli(["stack", "deploy", "-c", stack_file, s], timeout=120)
            main_ids = api.services(main_s)
            ref_names = [f"{ref_s}_{s}" for s in SWARM_SERVICES]
            ref_all = api.services(ref_s)
            if sorted(main_ids) != sorted(f"{main_s}_{s}" for s in SWARM_SERVICES) or \
                    sorted(ref_all) != sorted(ref_names):
                raise RuntimeError(f"stacks deployed with services {sorted(main_ids)}, "
                                   f"{sorted(ref_all)}")
            mids = list(main_ids.values())
            rids = [ref_all[n] for n in ref_names]
            # The mirror's services to 0; madre's are scaled to 0 by madre at its start.
            api.wait(rids, up=True)
            for i in rids:
                api.scale(i, 0)
            m = Madre(ctx, "swarm", main_s, {"VX11_PROVIDER": "swarm",
                                             "VX11_EXTERNAL_START": "stop",
                                             "VX11_COMPOSE_FILES": "stack.yml"},
                      compose_file=stack_file)
            api.wait(mids + rids, up=False)
            res["setup_sec"] = time.monotonic() - t_all

            body = {"services": SWARM_SERVICES, "wait": True, "wait_timeout_sec": 120,
                    "ttl_sec": 600, "reason": "bench swarm"}

            def madre_arm():
                st, raw, t_open = http_once(m.port, "POST", "/madre/power/windows/open", m.token,
                                            body, timeout=180)
                obj = json.loads(raw) if raw else {}
                if st != 200 or obj.get("state") != "open" or any(
                        v.get("state") != "running"
                        for v in obj.get("services_status", {}).values()):
                    raise RuntimeError(f"madre open: HTTP {st}: {raw[:300]!r}")
                api.wait(mids, up=True, bound=5)  # what madre says, checked
                m.windows_opened += 1
                t0 = time.perf_counter()
                st, raw, t_answer = http_once(m.port, "POST", "/madre/power/windows/close",
                                              m.token, {"window_id": obj["window_id"]},
                                              timeout=180)
                if st != 200 or json.loads(raw).get("state") != "closed":
                    raise RuntimeError(f"madre close: HTTP {st}: {raw[:300]!r}")
                api.wait(mids, up=False)
                return t_open, time.perf_counter() - t0, t_answer

            def cli_arm():
                t0 = time.perf_counter()
                docker_cli(["service", "scale", "--detach=false"]
                           + [f"{n}=1" for n in ref_names], timeout=SWARM_WAIT_SEC)
                t_open = time.perf_counter() - t0
                api.wait(rids, up=True, bound=5)
                t0 = time.perf_counter()
                docker_cli(["service", "scale", "--detach=false"]
                           + [f"{n}=0" for n in ref_names], timeout=SWARM_WAIT_SEC)
                api.wait(rids, up=False)
                return t_open, time.perf_counter() - t0, None

            def engine_arm():
                def all_to(n):
                    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as ex:
                        for f in [ex.submit(api.scale, i, n) for i in rids]:
                            f.result()

                t0 = time.perf_counter()
                all_to(1)
                api.wait(rids, up=True)
                t_open = time.perf_counter() - t0
                t0 = time.perf_counter()
                all_to(0)
                api.wait(rids, up=False)
                return t_open, time.perf_counter() - t0, None

            arms = {"madre": madre_arm, "cli": cli_arm, "engine": engine_arm}
            order = ["madre", "cli", "engine"]
            for r in range(-1, cfg["swarm_rounds"]):  # round -1: warm-up, not counted
                if r >= 0 and time.monotonic() - t_all > bound:
                    res["cut_short"] = f"stopped after {r} rounds: the step's bound of {bound} s"
                    log(f"swarm: {res['cut_short']}")
                    break
                k = (r + 1) % 3
                for arm in order[k:] + order[:k]:
                    time.sleep(0.5)
                    t_open, t_close, t_answer = arms[arm]()
                    if r < 0:
                        res["warmup"][arm] = {"open": t_open, "close": t_close}
                        continue
                    res["arms"][arm]["open"].append(t_open)
                    res["arms"][arm]["close"].append(t_close)
                    if t_answer is not None:
                        res["arms"]["madre"]["close_answer"].append(t_answer)
                if r >= 0:
                    res["rounds"] = r + 1
                    a = res["arms"]
                    log(f"swarm round {r + 1}: open madre {a['madre']['open'][-1]:.2f} s, "
                        f"scale {a['cli']['open'][-1]:.2f} s, API {a['engine']['open'][-1]:.2f} s;"
                        f" close madre {a['madre']['close'][-1]:.2f} s, scale "
                        f"{a['cli']['close'][-1]:.2f} s, API {a['engine']['close'][-1]:.2f} s")
            res["ops_open"] = last_audit_ops(m, "window.opened", main_s)
            res["ops_close"] = last_audit_ops(m, "window.closed", main_s)
            a = res["arms"]
            res["paired"] = {
                f"{what}_{ref}": [x / y for x, y in zip(a["madre"][what], a[ref][what])]
                for what in ("open", "close") for ref in ("cli", "engine")}
            for what in ("open", "close"):
                med = {k: statistics.median(v[what]) for k, v in a.items() if v[what]}
                log(f"swarm {what}: madre {med['madre']:.2f} s, docker service scale "
                    f"{med['cli']:.2f} s, Engine API {med['engine']:.2f} s")
        finally:
            if m is not None:
                try:
                    m.stop()
                except Exception as e:
                    log(f"stopping madre[swarm]: {e}")
            t0 = time.monotonic()
            res["cleanup_problems"] = swarm_teardown(ctx.work, stacks, made, gwbridge_existed)
            res["teardown_sec"] = time.monotonic() - t0
    res["elapsed_sec"] = time.monotonic() - t_all
    return res


# --------------------------------------------------------------------------------------------
# 8: CLI round trip (hyperfine; read-only, so the arms need no interleaving)


def bench_cli(ctx, m, project):
    runs = ctx.cfg["hyperfine_runs"]
    out = os.path.join(ctx.work, "hyperfine.json")
    env = dict(m.env)
    env["VX11_MADRE_URL"] = m.url
    f = ctx.projects[project]
    cmds = [f"{ctx.madre_bin} status", f"{ctx.madre_bin} state",
            f"docker-compose -p {project} -f {f} ps"]
    argv = ["hyperfine", "-N", "--style", "none", "--warmup", "2", "--runs", str(runs),
            "--export-json", out] + cmds
    r = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=240)
    if r.returncode != 0:
        raise RuntimeError(f"hyperfine failed: {r.stderr.strip()[-500:]}")
    with open(out) as fh:
        data = json.load(fh)
    names = ["madre status", "madre state", "docker-compose ps"]
    res = {}
    for name, row in zip(names, data["results"]):
        res[name] = summary(row["times"])
    log("cli: " + ", ".join(f"{k} {v['median'] * 1000:.1f} ms" for k, v in res.items()))
    return {"runs": runs, "results": res}


# --------------------------------------------------------------------------------------------
# 7: growth


def measure_point(ctx, m, ids, services):
    reps = ctx.cfg["growth_reps"]
    dreps = ctx.cfg["growth_docker_reps"]
    d = ctx.docker
    res = {"services": services, "history": m.windows_opened}
    res["state"] = summary([m.req("GET", "/madre/power/state")[2] for _ in range(reps)])
    res["status"] = summary([m.req("GET", "/madre/power/status")[2] for _ in range(reps)])
    res["windows_status"] = summary(
        [m.req("GET", "/madre/power/windows/status?limit=20")[2] for _ in range(reps)])
    opens, closes = [], []
    for _ in range(dreps):
        d.ensure_stopped([ids["s1"]])
        time.sleep(0.2)
        w, t = m.open(["s1"], skip_health=True)
        opens.append(t)
        time.sleep(0.2)
        _, t = m.close(w["window_id"])
        closes.append(t)
    res["open_start"] = summary(opens)
    res["close_stop"] = summary(closes)
    # Pure madre cost: open/close a window on a service another (hold) window keeps running.
    hold, _ = m.open(["s2"], skip_health=True, hold=True)
    opens, closes = [], []
    for _ in range(reps):
        w, t = m.open(["s2"], skip_health=True)
        opens.append(t)
        _, t = m.close(w["window_id"])
        closes.append(t)
    m.close(hold["window_id"])
    res["open_shared"] = summary(opens)
    res["close_shared"] = summary(closes)
    st = m.proc_stat()
    res["rss_kb"] = st["rss_kb"]
    res["history"] = m.windows_opened
    log(f"growth N={services} history={res['history']}: state "
        f"{res['state']['median'] * 1000:.2f} ms, status {res['status']['median'] * 1000:.1f} ms, "
        f"open {res['open_start']['median'] * 1000:.0f} ms, close "
        f"{res['close_stop']['median'] * 1000:.0f} ms, shared open/close "
        f"{res['open_shared']['median'] * 1000:.1f}/{res['close_shared']['median'] * 1000:.1f} ms")
    return res


def seed_history(ctx, m, target, bound_sec):
    """Opens and closes windows on s3 while a hold window keeps it running (no docker work)."""
    hold, _ = m.open(["s3"], skip_health=True, hold=True)
    t0 = time.monotonic()
    lock = threading.Lock()
    state = {"left": target - m.windows_opened, "errors": 0, "err": None}

    def worker():
        while True:
            with lock:
                if state["left"] <= 0 or time.monotonic() - t0 > bound_sec:
                    return
                state["left"] -= 1
            try:
                w, _ = m.open(["s3"], skip_health=True)
                m.close(w["window_id"])
            except Exception as e:  # counted, and the loop stops after a few
                with lock:
                    state["errors"] += 1
                    state["err"] = str(e)
                    if state["errors"] > 5:
                        state["left"] = 0

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    m.close(hold["window_id"])
    took = time.monotonic() - t0
    seeded = m.windows_opened
    log(f"history: {seeded} windows after {took:.1f} s ({state['errors']} errors)")
    if state["errors"]:
        raise RuntimeError(f"seeding: {state['errors']} errors, last: {state['err']}")
    return {"windows": seeded, "seconds": took, "complete": seeded >= target}


def plot_growth(ctx, rows, path):
    if not shutil.which("gnuplot"):
        return None
    data = os.path.join(ctx.work, "growth.dat")
    with open(data, "w") as f:
        for r in rows:
            if r.get("history_point"):
                continue
            f.write(f"{r['services']} {r['state']['median'] * 1000} {r['status']['median'] * 1000} "
                    f"{r['open_start']['median'] * 1000} {r['close_stop']['median'] * 1000}\n")
    script = f"""set terminal png size 900,500
set output '{path}'
set title 'madre: time per request as the project grows (medians)'
set xlabel 'compose services in the project'
set ylabel 'ms'
set logscale xy
set key right bottom
set grid
plot '{data}' using 1:2 with linespoints title 'GET /state', \\
     '{data}' using 1:3 with linespoints title 'GET /status', \\
     '{data}' using 1:4 with linespoints title 'open (start 1 service)', \\
     '{data}' using 1:5 with linespoints title 'close (stop 1 service)'
"""
    r = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True, timeout=60)
    return path if r.returncode == 0 else None


# --------------------------------------------------------------------------------------------
# Machine


def sh(argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=30).stdout.strip()
    except Exception:
        return "?"


def machine_info(ctx):
    mem = "?"
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    # Every window change is synced to disk (SQLite, audit file): the sync latency of the
    # filesystem that holds the state dirs bounds madre's own cost per open and close.
    probe = os.path.join(ctx.work, "fsync-probe")
    fd = os.open(probe, os.O_WRONLY | os.O_CREAT, 0o600)
    syncs = []
    for _ in range(20):
        os.write(fd, b"x" * 256)
        t0 = time.perf_counter()
        os.fsync(fd)
        syncs.append(time.perf_counter() - t0)
    os.close(fd)
    os.remove(probe)
    commit = sh(["git", "-C", ctx.repo, "rev-parse", "--short=12", "HEAD"])
    dirty = sh(["git", "-C", ctx.repo, "status", "--porcelain", "--untracked-files=no", "--",
                "src", "CMakeLists.txt"])
    return {
        "nproc": os.cpu_count(), "cpu": cpu, "memory": mem, "kernel": platform.release(),
        "docker": sh(["docker", "version", "--format", "{{.Server.Version}}"]),
        "compose": sh(["docker-compose", "version", "--short"]),
        "wrk": sh(["wrk", "-v"]).splitlines()[0] if shutil.which("wrk") else "?",
        "nginx": subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip(),
        "hyperfine": sh(["hyperfine", "--version"]),
        "python": platform.python_version(),
        "commit": commit, "dirty": bool(dirty), "fsync": summary(syncs),
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "loadavg": open("/proc/loadavg").read().split()[:3],
        "other_containers": len(sh(["docker", "ps", "-q"]).split()),
    }


# --------------------------------------------------------------------------------------------
# Main


def run_step(ctx, name, fn, *a):
    t0 = time.monotonic()
    try:
        ctx.results[name] = fn(*a)
    except Exception as e:
        log(f"{name} FAILED: {e}")
        ctx.results["errors"][name] = str(e)
    ctx.results["timings"][name] = time.monotonic() - t0


def main():
    # run.sh's trap, after an interrupted run: undo what the swarm step's marker lists.
    if len(sys.argv) == 3 and sys.argv[1] == "--swarm-cleanup":
        return swarm_cleanup_from_marker(sys.argv[2])
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=MODES, default="smoke")
    ap.add_argument("--madre", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--repo", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--json", required=True)
    ap.add_argument("--command", required=True)
    ap.add_argument("--only", default="", help="comma-separated steps: " + ",".join(STEPS))
    args = ap.parse_args()
    only = [x for x in args.only.split(",") if x] or list(STEPS)
    unknown = [x for x in only if x not in STEPS]
    if unknown:
        sys.stderr.write(f"bench: unknown step(s) {unknown}; the steps are {','.join(STEPS)}\n")
        return 2
    on = set(only)

    def on_term(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_term)
    ctx = Ctx(args)
    cfg = ctx.cfg
    t_all = time.monotonic()
    ctx.results["machine"] = machine_info(ctx)
    ctx.results["command"] = args.command
    if args.only:
        ctx.results["only"] = only
    instances = []
    try:
        main_p = main_ids = mirror_p = mirror_ids = m = None
        if on - {"pause", "ttl_slow_opens", "slow_healthcheck", "example_open", "autofix",
                 "swarm"}:
            main_p, main_ids, t_main = create_project(ctx, "m", 10, crashy=True,
                                                      cap=cfg["create_cap_sec"])
            ctx.results["creation"] = {11: t_main}
        if on & {"open_close", "cli", "pause", "open_vs_engine"}:
            mirror_p, mirror_ids, _ = create_project(ctx, "c", 10, cap=cfg["create_cap_sec"])
        growth = []
        for n in (cfg["growth_sizes"] if "growth" in on else []):
            try:
                p, ids, took = create_project(ctx, f"g{n}", n, cap=cfg["create_cap_sec"])
                growth.append((n, p, ids, took))
            except Exception as e:
                log(f"project of {n} services: {e}")
                ctx.results["errors"][f"create_{n}"] = str(e)
        if growth:
            ctx.results.setdefault("creation", {}).update({n: took for n, _, _, took in growth})
        slow_p = slow_ids = None
        if "ttl_slow_opens" in on:
            slow_p, slow_ids, _ = create_project(
                ctx, "t", 0, cap=cfg["create_cap_sec"],
                yaml=slow_project_yaml(free_port(), cfg["slow_timeout_sec"]),
                names=["fast"] + [f"slow{i}" for i in range(1, SLOW_OPENS + 1)])
        hc_p = hc_ids = hcr_ids = None
        if "slow_healthcheck" in on:
            hc_p, hc_ids, _ = create_project(ctx, "h", 0, cap=cfg["create_cap_sec"],
                                             yaml=SLOWHC_YAML, names=["hc"])
            _, hcr_ids, _ = create_project(ctx, "hr", 0, cap=cfg["create_cap_sec"],
                                           yaml=SLOWHC_YAML, names=["hc"])
        ex_p = None
        if "example_open" in on:
            ex_p, _, _ = create_project(ctx, "x", 0, cap=cfg["create_cap_sec"],
                                        yaml=example_yaml(ctx.repo), names=EXAMPLE_SERVICES,
                                        profile="core")
        af_p = None
        if "autofix" in on:
            af_p, _, _ = create_project(ctx, "a", 0, cap=cfg["create_cap_sec"], yaml=AUTOFIX_YAML,
                                        names=["broken"])
        if main_p:
            m = Madre(ctx, "main", main_p)
            instances.append(m)
            ctx.results["fresh"] = m.proc_stat() | {"startup_sec": m.startup_sec}

        def growth_step():
            rows = [measure_point(ctx, m, main_ids, 11)]
            seed = seed_history(ctx, m, cfg["history"], 60 if ctx.mode == "smoke" else 600)
            row = measure_point(ctx, m, main_ids, 11)
            row["history_point"] = True
            rows.append(row)
            for n, p, ids, took in growth:
                g = Madre(ctx, f"g{n}", p)
                instances.append(g)
                row = measure_point(ctx, g, ids, n)
                row["startup_sec"] = g.startup_sec
                row["create_sec"] = took
                rows.append(row)
                g.stop()
            # Beside the report, which shows it (docs/benchmarks-growth.png).
            png = plot_growth(ctx, rows, os.path.join(os.path.dirname(os.path.abspath(args.out)),
                                                      "benchmarks-growth.png"))
            return {"rows": rows, "seed": seed, "png": png}

        def slow_healthcheck_step():
            hm = Madre(ctx, "slowhc", hc_p)
            instances.append(hm)
            try:
                return bench_slow_healthcheck(ctx, hm, hc_ids, hcr_ids)
            finally:
                hm.stop()

        steps = {
            "open_close": lambda: bench_open_close(ctx, m, main_ids, mirror_p, mirror_ids),
            "ttl": lambda: bench_ttl(ctx, m, main_ids),
            "crashloop": lambda: bench_crashloop(ctx, m, main_p, main_ids),
            "http": lambda: bench_http(ctx, m),
            "state_nginx": lambda: bench_state_nginx(ctx, m),
            "open_vs_engine": lambda: bench_open_vs_engine(ctx, m, main_ids, mirror_p, mirror_ids),
            "cli": lambda: bench_cli(ctx, m, mirror_p),
            "pause": lambda: bench_pause(ctx, mirror_p, mirror_ids),
            "ttl_slow_opens": lambda: bench_ttl_slow_opens(ctx, slow_p, slow_ids),
            "slow_healthcheck": lambda: slow_healthcheck_step(),
            "example_open": lambda: bench_example_open(ctx, ex_p),
            "intent": lambda: bench_intent(ctx, main_p),
            "autofix": lambda: bench_autofix(ctx, af_p),
            "swarm": lambda: bench_swarm(ctx),
            "idle": lambda: bench_idle(ctx, m),
            "growth": growth_step,
        }
        for name in STEPS:
            if name in on:
                run_step(ctx, name, steps[name])
    except Exception as e:
        log(f"FAILED: {e}")
        ctx.results["errors"]["setup"] = str(e)
    finally:
        for inst in instances:
            try:
                inst.stop()
            except Exception as e:
                log(f"stopping madre[{inst.key}]: {e}")
        t0 = time.monotonic()
        for p in list(ctx.projects):
            destroy_project(ctx, p)
        ctx.results["timings"]["teardown"] = time.monotonic() - t0
        ctx.results["timings"]["total"] = time.monotonic() - t_all
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(ctx.results, f, indent=1, default=str)
    import report  # bench/report.py
    with open(args.out, "w") as f:
        f.write(report.render(ctx.results, MODES[args.mode]))
    log(f"wrote {args.out} and {args.json} in {ctx.results['timings']['total']:.0f} s")
    return 1 if ctx.results["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
