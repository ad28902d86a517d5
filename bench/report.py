#!/usr/bin/env python3
"""Renders docs/BENCHMARKS.md from bench.py's results.

bench.py calls render(); to re-render from a saved run:
  python3 bench/report.py out/bench/results-smoke.json > docs/BENCHMARKS.md
"""

import json
import math
import os
import sys

GOALS = {
    "open_compose": 0.6,  # open of 3 existing services <= 0.6 x docker-compose up -d
    "open_engine": 1.2,  # ... and within 1.2 x of direct Engine API starts
    "ttl_p99": 0.020,  # deadline -> stop p99 < 20 ms over 50 windows
    "crash": 1.0,  # crash loop reported within 1 s of the threshold-crossing die
    "state_rps": 50000,  # /state >= 50,000 req/s ...
    "state_p99": 0.010,  # ... with p99 < 10 ms (wrk -t2 -c64)
    "rss_mb": 15.0,  # idle RSS < 15 MB
    "pause_open": 0.050,  # with VX11_STOP_STRATEGY=pause, open of the same window < 50 ms
    "resync_sec": 30,  # VX11_RESYNC_SEC's default, which the benchmark leaves as it is
    "state_nginx": 0.6,  # /state with a window open >= 0.6 x nginx serving the same body
    "ttl_slow_sec": 1.5,  # TTL stop with 8 slow opens in flight: FinishedAt - deadline < 1.5 s
    "open_vs_engine": 1.05,  # open of 3 stopped services <= 1.05 x Engine API starts, timed alike
    "example_answer": 4.0,  # [switch, hermes] on the example stack: answered within 4 s
    "example_open": 5.0,  # ... and `open` within 5 s of the request
    "slow_healthcheck": 1.3,  # ready with a 30 s healthcheck interval <= 1.3 x start + one exec
    "pause_legacy_open": 0.050,  # paused window re-open via /madre/power/window/open < 50 ms
    "intent_answer": 0.100,  # the queen's token-less intent recorded and answered < 100 ms
    "autofix_diagnosed": 5.0,  # exit 127 of a window service -> autofix.diagnosed audited < 5 s
}


def ms(v, digits=None):
    if v is None:
        return "–"
    x = v * 1000
    if digits is None:
        digits = 0 if x >= 100 else (1 if x >= 10 else 2)
    return f"{x:.{digits}f}"


def spread(s, unit=ms):
    """min–max for small samples, p10–p90 from 10 on."""
    if s is None:
        return "–"
    if s["n"] >= 10:
        return f"p10 {unit(s['p10'])} – p90 {unit(s['p90'])}"
    return f"{unit(s['min'])} – {unit(s['max'])}"


def summary(values):
    import statistics
    if not values:
        return None
    s = sorted(values)

    def pct(q):
        k = max(1, math.ceil(q * len(s)))
        return s[min(k, len(s)) - 1]

    return {"n": len(s), "median": statistics.median(s), "min": s[0], "max": s[-1],
            "p10": pct(0.1), "p90": pct(0.9), "p99": pct(0.99)}


def verdict(ok):
    if ok is None:
        return "not measured"
    return "**met**" if ok else "**not met**"


def bound_text(b):
    if b is None:
        return "–"
    lo, hi = b
    if hi == math.inf or hi == "inf" or (isinstance(hi, float) and math.isinf(hi)):
        return f"> {lo * 1000:g} ms"
    return f"{lo * 1000:g} – {hi * 1000:g} ms"


def as_bounds(b):
    if b is None:
        return None
    lo, hi = b
    return (float(lo), float(hi))


def sec(v):
    if v is None or (isinstance(v, float) and math.isinf(v)):
        return "∞"
    return f"{v:.3f}"


def ops_sentence(what, ops):
    """`what` (`window.opened` audit record): each Docker call with its time."""
    return (f"{what} (`window.opened` audit record): "
            + ", ".join(f"`{o['command']}` ({o['elapsed_ms']} ms)" for o in ops) + ".")


def warmup_table(rec, rows, what, run, unit, unit_name):
    """A table of rec[key] samples (median, spread) per (key, label) of `rows`, with the
    not-counted first run rec["warmup"][key]; then an empty line."""
    out = [f"| {what} | n | median {unit_name} | spread {unit_name} | warm-up {run} {unit_name} "
           "(not counted) |", "| --- | ---: | ---: | --- | ---: |"]
    for key, label in rows:
        s = summary(rec[key])
        warm = (rec.get("warmup") or {}).get(key)
        out.append(f"| {label} | {s['n']} | {unit(s['median'])} | {spread(s, unit)} | "
                   f"{'–' if warm is None else unit(warm)} |")
    return out + [""]


def issue_goal_rows(r):
    """Goal rows of §9-11 (the hardening issue's rows)."""
    out = []
    sn = r.get("state_nginx")
    if sn:
        out.append(
            f"| `GET /madre/power/state` with a window open ≥ 0.6 × nginx serving the same body "
            f"(§9) | {summary([x['rps'] for x in sn['runs']['madre']])['median']:,.0f} vs "
            f"{summary([x['rps'] for x in sn['runs']['nginx']])['median']:,.0f} req/s: "
            f"**{sn['ratio']:.3f} ×** | {verdict(sn['ratio'] >= GOALS['state_nginx'])} |")
    else:
        out.append("| `/state` with a window open ≥ 0.6 × nginx (§9) | – | not measured |")
    ts = r.get("ttl_slow_opens")
    if ts:
        inflight = min(s["in_flight_at_deadline"] for s in ts["samples"])
        out.append(
            f"| TTL stop with {ts['slow_opens']} slow opens in flight: Docker's `FinishedAt` − "
            f"deadline < 1.5 s (§10) | p50 {sec(ts['p50'])} s, max {sec(ts['max'])} s over "
            f"{len(ts['samples'])} rounds (at least {inflight} of {ts['slow_opens']} opens in "
            f"flight at each deadline) | {verdict(ts['max'] < GOALS['ttl_slow_sec'])} |")
    else:
        out.append("| TTL stop with 8 slow opens in flight < 1.5 s (§10) | – | not measured |")
    ov = r.get("open_vs_engine")
    if ov:
        sm, se = summary(ov["madre"]), summary(ov["engine"])
        q = summary(ov["paired"])
        out.append(
            f"| open of 3 stopped services ≤ 1.05 × Engine API starts, both timed by an external "
            f"client until the 3 run (§11) | madre {ms(sm['median'])} ms vs Engine API "
            f"{ms(se['median'])} ms: **{ov['ratio']:.3f} ×** (per-round ratios median "
            f"{q['median']:.3f}, {spread(q, lambda v: f'{v:.2f}')}) | "
            f"{verdict(ov['ratio'] <= GOALS['open_vs_engine'])} |")
    else:
        out.append("| open of 3 stopped services ≤ 1.05 × Engine API, timed alike (§11) | – | "
                   "not measured |")
    hc = r.get("slow_healthcheck")
    if hc:
        sm, sf = summary(hc["madre"]), summary(hc["floor"])
        out.append(
            f"| time to ready of a service with a 30 s healthcheck interval ≤ 1.3 × an Engine API "
            f"start plus one exec of its check (§12) | madre {ms(sm['median'])} ms vs "
            f"{ms(sf['median'])} ms: **{hc['ratio']:.3f} ×** | "
            f"{verdict(hc['ratio'] <= GOALS['slow_healthcheck'])} |")
    else:
        out.append("| time to ready with a 30 s healthcheck interval ≤ 1.3 × start + exec (§12) "
                   "| – | not measured |")
    ex = r.get("example_open")
    if ex:
        sa, so = summary(ex["answer"]), summary(ex["open"])
        out.append(
            f"| example stack (30 s healthchecks): `POST /madre/power/window/open` of `[switch, "
            f"hermes]` answered within 4 s and `open` within 5 s (§13) | answer median "
            f"{sec(sa['median'])} s, max {sec(sa['max'])} s; open median {sec(so['median'])} s, "
            f"max {sec(so['max'])} s over {so['n']} rounds | "
            f"{verdict(sa['max'] <= GOALS['example_answer'] and so['max'] <= GOALS['example_open'])}"
            f" |")
    else:
        out.append("| example stack: `[switch, hermes]` answered ≤ 4 s, open ≤ 5 s (§13) | – | "
                   "not measured |")
    pz = r.get("pause") or {}
    if pz.get("legacy_open"):
        sl = summary(pz["legacy_open"])
        floor = ""
        if pz.get("engine_reopen"):
            se = summary(pz["engine_reopen"])
            floor = (f"; the Engine API floor in the same rounds (3 parallel unpauses + one "
                     f"listing) {ms(se['median'])} ms, ratio "
                     f"{sl['median'] / se['median']:.2f}")
        out.append(
            f"| paused window re-open through `POST /madre/power/window/open` (readiness "
            f"included) < 50 ms, median of {sl['n']} (§2b) | median {ms(sl['median'])} ms, max "
            f"{ms(sl['max'])} ms{floor} | {verdict(sl['median'] < GOALS['pause_legacy_open'])} |")
    else:
        out.append("| paused window re-open through `/madre/power/window/open` < 50 ms (§2b) | – "
                   "| not measured |")
    it = r.get("intent")
    if it:
        sn, sd, sf = summary(it["new"]), summary(it["duplicate"]), summary(it["floor"])
        ok = sn["max"] < GOALS["intent_answer"] and sd["max"] < GOALS["intent_answer"]
        out.append(
            f"| an intent shaped as the hormiguero queen sends it, token-less from an open source, "
            f"recorded and answered < 100 ms; a resubmission answers the same `intent_id` (§14) | "
            f"new: median {ms(sn['median'])} ms, max {ms(sn['max'])} ms over {sn['n']}; "
            f"resubmitted: median {ms(sd['median'])} ms, max {ms(sd['max'])} ms; `GET /health` "
            f"in the same rounds {ms(sf['median'])} ms (ratio {sn['median'] / sf['median']:.1f}) "
            f"| {verdict(ok)} |")
    else:
        out.append("| the queen's intent recorded and answered < 100 ms (§14) | – | not measured |")
    af = r.get("autofix")
    goal = ("a window service that exits 127 is diagnosed `command_not_found` within 5 s of its "
            "exit (issue 12, §15)")
    if af and af.get("latency"):
        sa = summary(af["latency"])
        ok = sa["max"] < GOALS["autofix_diagnosed"] and af.get("evidence_ok", False)
        out.append(
            f"| {goal} | median {ms(sa['median'])} ms, max {ms(sa['max'])} ms over {sa['n']} "
            f"(`FinishedAt` → `autofix.diagnosed`); evidence `State.ExitCode: 127` in "
            f"{'every' if af.get('evidence_ok') else 'not every'} diagnosis | {verdict(ok)} |")
    else:
        out.append(f"| {goal} | – | not measured |")
    sw = r.get("swarm")
    goal = ("Swarm: open and close of 3 services by madre (`VX11_PROVIDER=swarm`) against "
            "`docker service scale` of the same services (issue 13, §16: medians, no bound set)")
    if sw and sw.get("rounds"):
        a = sw["arms"]
        parts = []
        for what in ("open", "close"):
            mm, mc = summary(a["madre"][what]), summary(a["cli"][what])
            parts.append(f"{what}: madre {ms(mm['median'])} ms vs `docker service scale` "
                         f"{ms(mc['median'])} ms (**{mm['median'] / mc['median']:.2f} ×**)")
        out.append(f"| {goal} | {'; '.join(parts)} | no goal: see §16 |")
    else:
        out.append(f"| {goal} | – | not measured |")
    return out


def issue_sections(r, cfg):
    """§9-11. The method is written out even when the step did not run (a partial run, or a
    page from before these rows), with the sample sizes of the page's mode."""
    L = []
    add = L.append
    add("## 9. `/state` with a window open, beside nginx")
    add("")
    sn = r.get("state_nginx") or {}
    body = f" ({sn['body_bytes']} B, the window included)" if sn else " (the window included)"
    add("Method: a window with a TTL of an hour is opened on `s1` (`wait`, `skip_health`); "
        f"the body of `GET /madre/power/state` is fetched once{body} and written to a file that "
        "an nginx of the run serves (`nginx -c` with a private config, pid file, logs and temp "
        "dirs in the run's work directory, `worker_processes 1`, access log off, a free loopback "
        "port, no system service). Then "
        f"`wrk -t2 -c64 -d{sn.get('duration', cfg['wrk_duration'])}s --latency` runs against "
        "madre (with `-H 'X-VX11-Token: <token>'`) and against nginx, alternating, "
        f"{sn.get('rounds', cfg['state_nginx_rounds'])} run(s) each; the window is checked to be "
        "still open afterwards. Goal: madre's rate ≥ 0.6 × nginx's. Alone: "
        "`bench/run.sh --full --only state_nginx` (or `--smoke`).")
    add("")
    if sn:
        add("| target | runs | req/s (median) | p50 ms | p99 ms | non-2xx |")
        add("| --- | ---: | ---: | ---: | ---: | ---: |")
        for name in ("madre", "nginx"):
            runs = sn["runs"][name]
            med = lambda k: summary([x[k] for x in runs])["median"]
            add(f"| {name} | {len(runs)} | {med('rps'):,.0f} | {ms(med('p50'))} | "
                f"{ms(med('p99'))} | {sum(x['non2xx'] for x in runs)} |")
        add("")
        add(f"Ratio of the medians: **{sn['ratio']:.3f} ×**; per round: "
            + ", ".join(f"{q:.3f}" for q in sn["paired"]) + ".")
    else:
        add("Not measured in this run; `bench/run.sh --full` (or `--only` this step) fills it in.")
    add("")

    add("## 10. TTL stop while slow opens are in flight")
    add("")
    ts = r.get("ttl_slow_opens") or {}
    n = ts.get("slow_opens", 8)
    add(f"Method: a madre of its own on a project of `fast` and `slow1`…`slow{n}`; every "
        "`slowN` has the labels `vx11.health.tcp: 127.0.0.1:<a free port where nothing "
        "listens>` and `vx11.health.timeout_sec: "
        f"{ts.get('slow_timeout_sec', cfg['slow_timeout_sec'])}`, so its readiness never comes "
        "within the round. Each round: a window on `fast` with `ttl_sec` "
        f"{ts.get('ttl_sec', 3)} (`wait`, `skip_health`), then at once {n} windows, one per "
        "`slowN`, with `\"wait\":false`. Just before the deadline the 8 windows are read back "
        "(how many are still `opening`: the opens in flight); the lag is Docker's "
        "`State.FinishedAt` of `fast` (`GET /containers/ID/json`) minus the window's `deadline`. "
        "The round then closes the 8 windows and waits until their readiness limit has passed, "
        f"so that every round starts from an idle madre; {ts.get('rounds', cfg['slow_rounds'])} "
        "rounds, p50 and max. Goal: < 1.5 s. Alone: `bench/run.sh --full --only ttl_slow_opens` "
        "(or `--smoke`).")
    add("")
    if ts:
        add("| round | FinishedAt − deadline s | opens in flight at the deadline | close reason |")
        add("| ---: | ---: | ---: | --- |")
        for i, x in enumerate(ts["samples"], 1):
            lag = (sec(x["lag"]) if x["lag"] is not None
                   else f"> {x['bound']} (still running)")
            add(f"| {i} | {lag} | {x['in_flight_at_deadline']} / {n} | "
                f"{x['close_reason'] or '–'} |")
        add("")
        add(f"p50 {sec(ts['p50'])} s, max {sec(ts['max'])} s.")
    else:
        add("Not measured in this run; `bench/run.sh --full` (or `--only` this step) fills it in.")
    add("")

    add("## 11. Opening 3 stopped services: madre against the Engine API, timed alike")
    add("")
    ov = r.get("open_vs_engine") or {}
    add("Method: both arms are timed the same way, as the wall time of an external client "
        "(the benchmark's Python process) on fresh connections, from before its first connect "
        "until it knows the 3 containers run. **madre**: `POST /madre/power/windows/open` "
        "`{\"services\":[\"s1\",\"s2\",\"s3\"],\"wait\":true,\"skip_health\":true}` on a new "
        "TCP connection, until the answer (`open`, every service `running`); with "
        "`skip_health` madre answers once its list of the project after the starts shows "
        "them running. **Engine API**: on the identical mirror project (madre would stop "
        "containers of its own project that no window wants), `POST /v1.41/containers/ID/start` "
        "for the 3 containers in parallel, one thread and one new unix-socket connection "
        "each, then `GET /v1.41/containers/json?all=1&filters=<project>` until it lists the "
        "3 as running: the same condition. Before every run all 6 containers are stopped "
        f"and left 0.3 s; {ov.get('rounds', cfg['ove_rounds'])} rounds, the arms' order "
        "alternating; a first round of each arm is not counted (madre's first open runs "
        "`compose config --hash`, which it then caches). §1's Engine API column differs: there "
        "the clock stops when the start calls return, with no list, while madre's open is timed "
        "on a kept-alive connection. Goal: ≤ 1.05 ×. Alone: "
        "`bench/run.sh --full --only open_vs_engine` (or `--smoke`).")
    add("")
    if ov:
        add("| arm | n | median ms | spread ms | warm-up run ms (not counted) |")
        add("| --- | ---: | ---: | --- | ---: |")
        for arm, label in (("madre", "madre open"), ("engine", "Engine API starts + list")):
            s = summary(ov[arm])
            add(f"| {label} | {s['n']} | {ms(s['median'])} | {spread(s)} | "
                f"{ms(ov['warmup'].get(arm))} |")
        q = summary(ov["paired"])
        add("")
        add(f"Ratio of the medians: **{ov['ratio']:.3f} ×**; per-round ratios: median "
            f"{q['median']:.3f}, {spread(q, lambda v: f'{v:.2f}')}.")
    else:
        add("Not measured in this run; `bench/run.sh --full` (or `--only` this step) fills it in.")
    add("")

    add("## 12. Time to ready of a service with a 30 s healthcheck interval")
    add("")
    hc = r.get("slow_healthcheck") or {}
    add("Method: a madre of its own on a project of one service `hc` whose Docker healthcheck "
        "(`wget` of its own `/health`) has the real VX11 stack's cadence: `interval` 30 s, "
        "`start_period` 60 s; Docker 20.10 first runs it 30 s after the start, and lacks "
        "`start_interval`. **madre**: `POST /madre/power/windows/open` "
        "`{\"services\":[\"hc\"],\"wait\":true}` (readiness included) on a new TCP connection, "
        "until the answer (`open`): madre runs the container's own check itself (Engine API exec) "
        "from the start until it passes. **Floor**, on an identical container of another "
        "project: `POST /v1.41/containers/ID/start`, then the same check through the Engine API "
        "(`POST /containers/ID/exec`, `POST /exec/ID/start` attached and read to its end, `GET "
        "/exec/ID/json` for the exit code), repeated until it exits 0, by the same client on new "
        "unix-socket connections. Before every run both containers are stopped and left 0.3 s; "
        f"{hc.get('rounds', cfg.get('slowhc_rounds', 3))} rounds, the arms' order alternating; a "
        "first round of each arm is not counted. Goal: ≤ 1.3 ×. Alone: "
        "`bench/run.sh --full --only slow_healthcheck` (or `--smoke`).")
    add("")
    if hc:
        L.extend(warmup_table(hc, (("madre", "madre open (wait)"),
                                   ("floor", "Engine API start + exec")), "arm", "run", ms, "ms"))
        health = sorted(set(map(str, hc.get("docker_health_at_open", []))))
        add(f"Ratio of the medians: **{hc['ratio']:.3f} ×**. Docker's own health in madre's "
            f"answers: {', '.join(health) or '–'}; checks run by the floor until one passed: "
            f"{hc.get('floor_tries')}.")
    else:
        add("Not measured in this run; `bench/run.sh --full` (or `--only` this step) fills it in.")
    add("")

    add("## 13. The example stack of the real shape: `[switch, hermes]` through the original route")
    add("")
    ex = r.get("example_open") or {}
    add("Method: a project made from `examples/vx11/docker-compose.yml` as it is (profile `core`, "
        "healthchecks every 30 s with a 60 s start period, `switch` and `hermes` needing the "
        "gateway `tentaculo_link`) without its host ports, and a madre set as "
        "`examples/vx11/madre.toml` (`redis` and, core mode, `tentaculo_link` always on; "
        "`compat_open_wait_sec` 4). Once its start-up reconcile has the always-on services "
        "ready, each round opens `[switch, hermes]` from stopped containers with the original "
        "clients' `POST /madre/power/window/open` `{\"services\":[\"switch\",\"hermes\"],"
        "\"ttl_sec\":600}`; **answer** is that request's round trip, **open** the time until the "
        "window is `open` (the answer itself when it says so, else `GET "
        "/madre/power/windows/{id}` every 50 ms); then the window is closed (madre stops both). "
        f"{cfg.get('example_rounds', 2)} rounds after one not counted. Goals: answer ≤ 4 s, open "
        "≤ 5 s (every round). Alone: `bench/run.sh --full --only example_open`.")
    add("")
    if ex:
        L.extend(warmup_table(ex, (("answer", "answer"), ("open", "open")), "measure", "round",
                              sec, "s"))
        if ex.get("ops"):
            add(ops_sentence("What madre ran for the last open", ex["ops"]))
    else:
        add("Not measured in this run; `bench/run.sh --full` (or `--only` this step) fills it in.")
    add("")

    add("## 14. An intent from the hormiguero queen")
    add("")
    it = r.get("intent") or {}
    n_src = it.get("sources", cfg.get("intent_sources", 3))
    add("Method: a madre of its own on the main project, with `VX11_INTENT_OPEN_SOURCES` naming "
        f"{n_src} sources `hormiguero-N`. For each source, 5 rounds of: `GET /health` (the floor: "
        "an HTTP round trip that records nothing), then `POST /madre/intent` without a token, "
        "shaped exactly as the queen sends it (`{\"type\": \"spawn\", \"payload\": {...}, "
        "\"correlation_id\", \"source\"}`), then the same body again. Each request opens a new "
        "connection, as the queen's `requests.post` does. A new intent is answered `pending` only "
        "once its row is in `madre.db` (synced) and its audit record written; the resubmission must "
        "answer the same `intent_id` with `duplicate: true`; at the end every answered intent must "
        "be listed by `GET /madre/intents`. The token-less intake admits a burst of 10 per source "
        "(then one every 6 s), hence one source per 5 intents. Goal: every answer < 100 ms. "
        "Alone: `bench/run.sh --full --only intent`.")
    add("")
    if it:
        add("| request | n | median ms | max ms | spread ms |")
        add("| --- | ---: | ---: | ---: | --- |")
        for key, label in (("floor", "`GET /health` (floor)"), ("new", "new intent"),
                           ("duplicate", "resubmission (same `correlation_id`)")):
            sm = summary(it[key])
            add(f"| {label} | {sm['n']} | {ms(sm['median'])} | {ms(sm['max'])} | {spread(sm)} |")
    else:
        add("Not measured in this run; `bench/run.sh --full` (or `--only` this step) fills it in.")
    add("")

    add("## 15. Autofix: from a failure to its diagnosis")
    add("")
    af = r.get("autofix") or {}
    n_rounds = len(af.get("latency") or []) or cfg.get("autofix_rounds", 3)
    add("Method: a project of its own (`mbench<pid><hex>_a`) with one service, `broken` "
        "(`madre-busybox:latest`, command `[\"sh\", \"-c\", \"echo starting; nosuchcmd "
        "--serve\"]`: the shell exits 127, no ports), and a madre of its own on it. "
        f"{n_rounds} rounds of: `POST /madre/power/windows/open "
        "{\"services\":[\"broken\"],\"ttl_sec\":60,\"wait\":true,\"wait_timeout_sec\":60}`, "
        "then `GET /madre/power/audit?after=<last seq before the open>` every 50 ms (at most "
        "30 s) until a new `autofix.diagnosed` record of `broken` appears; its reason must be "
        "`command_not_found`. Measured: that record's `time` (written by madre when it audits the "
        "diagnosis, after the evidence was gathered from Docker and the forensic record written "
        "and synced) minus the container's `State.FinishedAt` from the Engine API's inspect (the "
        "container of the project's service `broken`, by its compose labels; it must have exit "
        "code 127 and have finished after the open was sent). Both are the same host's clock. "
        "Between rounds the window is closed if still live, and `GET /madre/autofix/diagnoses` "
        "must list exactly one more diagnosis per round (each failure a new incident), the "
        "newest with the evidence line `State.ExitCode: 127`. Goal (issue 12): max < 5 s. "
        "Alone: `bench/run.sh --full --only autofix`.")
    add("")
    if af.get("latency"):
        sa = summary(af["latency"])
        add("| from the exit to `autofix.diagnosed` | n | median ms | max ms | spread ms |")
        add("| --- | ---: | ---: | ---: | --- |")
        add(f"| `FinishedAt` → audit record `time` | {sa['n']} | {ms(sa['median'])} | "
            f"{ms(sa['max'])} | {spread(sa)} |")
        add("")
        rounds = af.get("rounds") or []
        if rounds:
            opens = summary([x["open_sec"] for x in rounds])
            last = rounds[-1]
            detail = last.get("detail", "").replace("\n", "\\n").replace("`", "'")
            exits = [x["exit_after_request_sec"] for x in rounds if "exit_after_request_sec" in x]
            exit_text = ""
            if len(exits) >= 2:
                se = summary(exits[1:])
                exit_text = (
                    f". The container exited {ms(exits[0])} ms after the open was sent in the "
                    f"first round, a median {ms(se['median'])} ms (max {ms(se['max'])} ms) in the "
                    "later ones, which the goal does not count: when this page was first "
                    "written, madre's log showed each later start made 5 s after the previous "
                    "failure (`start broken (actor madre)`: the retry back-off of a failed start, "
                    "`PlannerConfig::retry_backoff`), and the rounds are 1 s apart")
            add(f"The open itself answered `{last.get('open_state')}` (HTTP "
                f"{last.get('open_http')}) in a median {ms(opens['median'])} ms{exit_text}. The last "
                f"round's audit detail (newlines shown as `\\n`): `{detail}`.")
    else:
        add("Not measured in this run; `bench/run.sh --full` (or `--only` this step) fills it in.")
    add("")
    L.extend(swarm_section(r, cfg))
    return L


def swarm_section(r, cfg):
    L = []
    add = L.append
    sw = r.get("swarm") or {}
    add("## 16. Swarm: open and close of 3 services, madre against `docker service scale`")
    add("")
    add("Method (issue 13): under the lock `/tmp/madre-swarm.lock` (the one the swarm integration "
        "tests take: a swarm init or leave breaks other containers' published ports while it "
        "happens), the machine's dockerd is made a single-node swarm (`docker swarm init "
        "--advertise-addr 127.0.0.1`) when it is in none, and left at the end (only then). Two "
        "identical stacks are deployed with `docker stack deploy` from one stack file (version "
        "`3.8`, services `s1`, `s2`, `s3`: `madre-busybox:latest`, the healthcheck `wget -q -O- "
        "http://127.0.0.1:8080/health` every 500 ms, `stop_grace_period` 2 s, one replica, no "
        "published ports): madre's stack (`mbench<pid><hex>_w`), on which `madre serve` runs with "
        "`VX11_PROVIDER=swarm` and `VX11_EXTERNAL_START=stop` (it scales the 3 services to 0 at "
        "its start), and a mirror (`..._wr`) for the two references (madre would scale down, or "
        "adopt, services of its stack that it did not start). Each round runs the three arms in "
        "rotating order, each an open then a close, 0.5 s apart, all services at 0 running tasks "
        "before each: **madre** = `POST /madre/power/windows/open "
        "{\"services\":[\"s1\",\"s2\",\"s3\"],\"wait\":true}` (readiness included: madre "
        "answers once each service runs its desired tasks, which Swarm counts as running only once "
        "the healthcheck passed), then `POST /madre/power/windows/close` (answered once the "
        "scale-downs are sent) and the Engine API polled every 20 ms until no task of the 3 runs "
        "any more; **`docker service scale`** = `docker service scale --detach=false s1=1 s2=1 "
        "s3=1`, then `... =0` and the same poll; **Engine API** (the floor) = for the 3 services "
        "in parallel `GET /services/{id}` and `POST /services/{id}/update?version=N` with the "
        "whole spec and `Replicas` changed (what madre sends), then `GET /tasks` every 20 ms "
        "until each service runs one task wanted running (open) or none of their tasks runs "
        "(close). Open: until the 3 run; close: until none runs. Wall-clock from the client, "
        "fresh connections; a first round is not counted. Note that `docker service scale "
        "--detach=false` waits for each service in turn and, once a service has converged, "
        "watches it for its `UpdateConfig.Monitor` (5 s by default) before it returns: that "
        "wait, not Swarm, is most of its time. Alone: `bench/run.sh --full --only swarm` (its "
        "page: `BENCH_OUT=$PWD/docs/BENCHMARKS-swarm.md bench/run.sh --full --only swarm`).")
    add("")
    if sw.get("rounds"):
        a = sw["arms"]
        add("| arm | n | open median ms | open spread ms | close median ms | close spread ms | "
            "warm-up open / close ms (not counted) |")
        add("| --- | ---: | ---: | --- | ---: | --- | ---: |")
        for arm, label in (("madre", "madre (`windows/open` wait, `windows/close`)"),
                           ("cli", "`docker service scale --detach=false`"),
                           ("engine", "Engine API service updates (floor)")):
            so, sc = summary(a[arm]["open"]), summary(a[arm]["close"])
            w = (sw.get("warmup") or {}).get(arm)
            add(f"| {label} | {so['n']} | {ms(so['median'])} | {spread(so)} | "
                f"{ms(sc['median'])} | {spread(sc)} | "
                f"{'–' if not w else ms(w['open']) + ' / ' + ms(w['close'])} |")
        add("")
        add("| madre ÷ reference, per round | open: median | open: spread | close: median | "
            "close: spread |")
        add("| --- | ---: | --- | ---: | --- |")
        for ref, label in (("cli", "÷ `docker service scale`"), ("engine", "÷ Engine API")):
            po, pc = summary(sw["paired"][f"open_{ref}"]), summary(sw["paired"][f"close_{ref}"])
            f2 = lambda v: f"{v:.2f}"  # noqa: E731
            add(f"| {label} | {po['median']:.2f} | {spread(po, f2)} | {pc['median']:.2f} | "
                f"{spread(pc, f2)} |")
        add("")
        mo, eo = summary(a["madre"]["open"]), summary(a["engine"]["open"])
        mc, ec = summary(a["madre"]["close"]), summary(a["engine"]["close"])
        ans = summary(a["madre"].get("close_answer") or [])
        add(f"What madre adds to Swarm's own work, median against median: "
            f"{(mo['median'] - eo['median']) * 1000:+.0f} ms on the open, "
            f"{(mc['median'] - ec['median']) * 1000:+.0f} ms on the close (madre's close answered in a median {ms(ans['median']) if ans else '–'} "
            "ms; the rest is Swarm shutting the tasks down). Swarm's scheduling (a new task per "
            "replica: allocated, assigned, prepared, started, then healthy) dominates every arm.")
        add("")
        for key, what in (("ops_open", "window.opened"), ("ops_close", "window.closed")):
            ops = sw.get(key)
            if ops:
                add(f"What madre ran for the last {'open' if key == 'ops_open' else 'close'} "
                    f"(`{what}` audit record, stack name shortened to `P`): "
                    + ", ".join(f"`{o['command']}` ({o['elapsed_ms']} ms"
                                + (f", {o['detail']}" if o.get("detail") else "") + ")"
                                for o in ops) + ".")
                add("")
        notes = [f"lock waited {sw.get('lock_wait_sec', 0):.1f} s"
                 + (" (held by the parent `flock`)" if sw.get("lock_inherited") else ""),
                 "swarm made by the run and left at its end" if sw.get("swarm_made")
                 else "the engine was in a swarm already: used and left as it was",
                 f"set-up {sw.get('setup_sec', 0):.0f} s, tear-down {sw.get('teardown_sec', 0):.0f} s"]
        if sw.get("cut_short"):
            notes.append(sw["cut_short"])
        if sw.get("cleanup_problems"):
            notes.append("clean-up problems: " + "; ".join(sw["cleanup_problems"]))
        add("Run: " + "; ".join(notes) + ".")
    else:
        add("Not measured in this run; `bench/run.sh --full` (or `--only swarm`) fills it in.")
    add("")
    return L

def render(r, cfg):
    L = []
    add = L.append
    mach = r.get("machine", {})
    errors = r.get("errors", {})
    mode = r.get("mode", "?")
    raw = "-only" if r.get("only") else ""
    add("# madre benchmarks")
    add("")
    add(f"Written by `{r.get('command', 'bench/run.sh')}` on {mach.get('date', '?')} "
        f"(mode `{mode}`, {r.get('timings', {}).get('total', 0):.0f} s). Do not edit by hand: "
        "run `bench/run.sh --smoke` (about 6 minutes) or `bench/run.sh --full` (the sample "
        "sizes the goals speak of; about 17 to 20 minutes here) to rewrite it. Raw numbers: "
        f"`out/bench/results-<mode>{raw}.json`; `python3 bench/report.py "
        f"out/bench/results-<mode>{raw}.json` renders this page from them.")
    add("")
    if mode == "smoke":
        add("> This is a **smoke** run: few samples per cell (see *n*), 10 TTL windows instead of 50, "
            "1,000 windows of history instead of 10,000, no 300-service project, 5 s wrk runs. "
            "Read its verdicts as indications; `--full` gives the numbers to quote.")
        add("")
    if r.get("only"):
        add("> A **partial** run (`--only " + ",".join(r["only"]) + "`): the other sections "
            "read *not measured*. The page to quote is `docs/BENCHMARKS.md`, written by a whole "
            "run.")
        add("")
    if errors:
        add("**Errors in this run** (the affected sections are missing or partial):")
        add("")
        for k, v in errors.items():
            add(f"- `{k}`: {v}")
        add("")

    # --- machine
    add("## Machine")
    add("")
    add("| | |")
    add("| --- | --- |")
    add(f"| CPU | {mach.get('nproc')} × {mach.get('cpu')} |")
    add(f"| memory | {mach.get('memory')} |")
    add(f"| kernel | {mach.get('kernel')} |")
    add(f"| Docker Engine | {mach.get('docker')} |")
    add(f"| docker-compose | {mach.get('compose')} (v1; madre is given `VX11_COMPOSE_CMD=docker-compose`) |")
    add(f"| madre | commit `{mach.get('commit')}`"
        + (" **plus uncommitted changes in src/** (the tree was being edited)" if mach.get("dirty") else "")
        + ", Release build |")
    add(f"| tools | {mach.get('wrk')}; {mach.get('nginx')}; {mach.get('hyperfine')}; Python {mach.get('python')} |")
    fs = mach.get("fsync")
    if fs:
        add(f"| fsync of a small write (state dir's filesystem) | median {ms(fs['median'])} ms, "
            f"max {ms(fs['max'])} ms ({fs['n']} syncs at start) |")
    add(f"| load at start | load average {' '.join(mach.get('loadavg', []))}; "
        f"{mach.get('other_containers')} other running containers on this dockerd |")
    add("")
    add("The machine is shared (2 cores): wrk, madre, dockerd and the containers compete for the "
        "same CPUs, and other people's work may have run at the same time. The A/B arms are "
        "interleaved (one run of each arm per round, the order rotating) so that such noise hits "
        "every arm alike; medians are quoted with their spread.")
    add("")
    add("Exact command: `" + r.get("command", "bench/run.sh") + "` from the repository root. "
        "madre runs as `madre serve` with `VX11_THROTTLE_CPU_PCT=0`, "
        "`VX11_POWER_WINDOWS_MAX_CONCURRENT=10000`, `VX11_ALWAYS_ON=madre`, its own state dir, a "
        "random token and a free loopback port, on a generated compose project "
        "(`mbench<pid><hex>_m`: services `s1`…`s10`, each `madre-busybox:latest` with the "
        "healthcheck `wget -q -O- http://127.0.0.1:$$PORT/health` every 500 ms, and `crashy`, "
        "`restart: always` with `CRASH=1`). No host ports are published.")
    add("")

    # --- goals
    add("## Goals and verdicts")
    add("")
    add("| goal (SPEC / issue) | measured | verdict |")
    add("| --- | --- | --- |")
    oc = {(x["n"], x["ready"]): x for x in r.get("open_close", []) or []}
    three = oc.get((3, False))
    if three:
        sm = summary(three["open"]["madre"])
        sc = summary(three["open"]["compose"])
        se = summary(three["open"]["engine"])
        rc = sm["median"] / sc["median"]
        re_ = sm["median"] / se["median"]
        def paired(arm):
            q = [a / b for a, b in zip(three["open"]["madre"], three["open"][arm])]
            return f"per-round ratios {min(q):.2f} – {max(q):.2f}"

        add(f"| open of 3 existing services ≤ 0.6 × `docker-compose up -d` | madre {ms(sm['median'])} ms vs "
            f"compose {ms(sc['median'])} ms: **{rc:.3f} ×** ({paired('compose')}; direct Engine API "
            f"starts, the floor: {se['median'] / sc['median']:.3f} ×) | "
            f"{verdict(rc <= GOALS['open_compose'])} |")
        add(f"| … and ≤ 1.2 × direct Engine API starts (3 in parallel) | madre {ms(sm['median'])} ms vs "
            f"Engine API {ms(se['median'])} ms: **{re_:.3f} ×** ({paired('engine')}) | "
            f"{verdict(re_ <= GOALS['open_engine'])} |")
    else:
        add("| open of 3 existing services ≤ 0.6 × compose, ≤ 1.2 × Engine API | – | not measured |")
    pz = r.get("pause")
    if pz:
        sp = summary(pz["open"])
        add(f"| with `VX11_STOP_STRATEGY=pause`: opening the same window (3 paused services) "
            f"< 50 ms | median {ms(sp['median'])} ms, max {ms(sp['max'])} ms over {sp['n']} opens "
            f"| {verdict(sp['median'] < GOALS['pause_open'])} |")
    else:
        add("| pause strategy: open < 50 ms | – | not measured |")
    ttl = r.get("ttl")
    if ttl:
        b99 = as_bounds(ttl["p99_bounds"])
        n = ttl["windows"]
        note = "" if n >= 50 else f" ({n} windows, not 50)"
        ok = None if b99 is None else b99[1] <= GOALS["ttl_p99"]
        add(f"| TTL deadline → stop p99 < 20 ms over 50 windows: stop **issued** "
            f"(madre's `madre_ttl_stop_lag_seconds`) | p99 in {bound_text(b99)}{note} | {verdict(ok)} |")
        fin = ttl["finished"]
        add(f"| … the same, read as deadline → container **stopped** (Docker's `FinishedAt`) | "
            f"p99 {ms(fin['p99'])} ms, median {ms(fin['median'])} ms{note} | "
            f"{verdict(fin['p99'] < GOALS['ttl_p99'])} |")
    else:
        add("| TTL deadline → stop p99 < 20 ms | – | not measured |")
    cr = r.get("crashloop")
    if cr:
        lat = cr["latency"]
        add(f"| crash loop reported within 1 s of the threshold-crossing `die` | max {ms(lat['max'])} ms, "
            f"median {ms(lat['median'])} ms over {lat['n']} loops | {verdict(lat['max'] <= GOALS['crash'])} |")
        rep = cr.get("repeat")
        if rep is not None:
            txt = (f"reported, {ms(rep['third_die_to_audit'])} ms after the third `die`" if rep["reported"]
                   else f"**not reported** ({rep['dies_seen']} deaths seen, waited "
                        f"{rep['waited_sec']:.1f} s)")
            add(f"| a second crash loop of the same container (re-opened after a close) is reported "
                f"(SPEC §6) | {txt} | {verdict(rep['reported'])} |")
    else:
        add("| crash loop reported within 1 s | – | not measured |")
    http = r.get("http")
    if http:
        runs = http["runs"].get("madre /state", [])
        rps = summary([x["rps"] for x in runs])
        p99 = summary([x["p99"] for x in runs])
        ok = rps["median"] >= GOALS["state_rps"] and p99["median"] < GOALS["state_p99"]
        add(f"| `GET /madre/power/state` ≥ 50,000 req/s with p99 < 10 ms (wrk -t2 -c64) | "
            f"{rps['median']:,.0f} req/s, p99 {ms(p99['median'])} ms | {verdict(ok)} |")
    else:
        add("| /state ≥ 50,000 req/s, p99 < 10 ms | – | not measured |")
    for row in issue_goal_rows(r):
        add(row)
    idle = r.get("idle")
    if idle:
        # The goal allows the resync ("nothing polls faster than the resync", default every 30 s):
        # at most one clock tick (10 ms) of CPU per resync that fell in the idle period.
        resyncs = max(1, int(idle["seconds"] // GOALS["resync_sec"]))
        add(f"| idle: no CPU between events (nothing polls faster than the resync, every "
            f"{GOALS['resync_sec']} s) | {idle['cpu_sec']:.2f} CPU s ({idle['ticks']} ticks of 10 ms) "
            f"and {idle['ctx_switches']} context switches in {idle['seconds']} s idle, that is "
            f"{resyncs} resyncs | {verdict(idle['ticks'] <= resyncs)} |")
        rss = idle["rss_kb"] / 1024
        add(f"| idle: RSS < 15 MB | {rss:.1f} MiB after the benchmarks above (peak {idle['hwm_kb'] / 1024:.1f} MiB; "
            f"{r.get('fresh', {}).get('rss_kb', 0) / 1024:.1f} MiB just after start) | "
            f"{verdict(rss * 1.048576 < GOALS['rss_mb'])} |")
    else:
        add("| idle CPU / RSS | – | not measured |")
    add("")

    # --- 1 open
    add("## 1. Opening existing (created, stopped) services")
    add("")
    add("Method: the services exist (`docker-compose up --no-start`) and are stopped before every "
        "run. Three arms, interleaved: **madre** = `POST /madre/power/windows/open` with "
        "`\"wait\":true` (answer when the window is open), on madre's project; **compose** = "
        "`docker-compose -p P -f F up -d s1..sN` on an identical mirror project (madre would stop "
        "containers of its own project that no window wants); **Engine API** = "
        "`POST /v1.41/containers/ID/start` for the N containers in parallel over the Docker socket, "
        "on the mirror project. *skip_health*: madre `\"skip_health\":true`, the others end when "
        "their call returns. *ready*: madre waits for readiness (`skip_health` false); compose "
        "and Engine API poll `GET /containers/ID/json` (what `docker inspect` reads) every 50 ms "
        "until every container is healthy. Times are wall-clock from the client's side, in ms.")
    add("")
    ops = r.get("madre_ops", {})
    if ops.get("window.opened"):
        cmds = ops["window.opened"]
        add("What madre ran for an open, from the `ops` of its `window.opened` audit record "
            "(project name shortened to `P`): "
            + ", ".join(f"`{o['command']}` ({o['elapsed_ms']} ms)" for o in cmds) + ".")
        add("")
    add("| services | readiness | arm | n | median ms | spread ms | madre ÷ arm |")
    add("| ---: | --- | --- | ---: | ---: | --- | ---: |")
    names = {"madre": "madre", "compose": "docker-compose up -d", "engine": "Engine API starts"}
    for x in r.get("open_close", []) or []:
        sm = summary(x["open"]["madre"])
        for arm in ("madre", "compose", "engine"):
            s = summary(x["open"][arm])
            ratio = "" if arm == "madre" else f"{sm['median'] / s['median']:.2f}"
            add(f"| {x['n']} | {'ready' if x['ready'] else 'skip_health'} | {names[arm]} | {s['n']} | "
                f"{ms(s['median'])} | {spread(s)} | {ratio} |")
    add("")

    # --- 2 close
    add("## 2. Closing")
    add("")
    add("Method: in the same rounds as §1, after each open and a 0.2 s pause: **madre** = "
        "`POST /madre/power/windows/close` with the window id (answered once the stops ran); "
        "**compose** = `docker-compose -p P -f F stop s1..sN`; **Engine API** = "
        "`POST /containers/ID/stop?t=2` in parallel. Every arm is checked to have left no "
        "container running.")
    add("")
    if ops.get("window.closed"):
        add("What madre ran for a close (`window.closed` audit record): "
            + ", ".join(f"`{o['command']}` ({o['elapsed_ms']} ms)" for o in ops["window.closed"]) + ".")
        add("")
    add("| services | after | arm | n | median ms | spread ms | madre ÷ arm |")
    add("| ---: | --- | --- | ---: | ---: | --- | ---: |")
    names = {"madre": "madre close", "compose": "docker-compose stop", "engine": "Engine API stops"}
    for x in r.get("open_close", []) or []:
        sm = summary(x["close"]["madre"])
        for arm in ("madre", "compose", "engine"):
            s = summary(x["close"][arm])
            ratio = "" if arm == "madre" else f"{sm['median'] / s['median']:.2f}"
            add(f"| {x['n']} | {'ready' if x['ready'] else 'skip_health'} open | {names[arm]} | {s['n']} | "
                f"{ms(s['median'])} | {spread(s)} | {ratio} |")
    add("")

    # --- 3 TTL
    # --- 2b pause
    pz = r.get("pause")
    if pz:
        add("## 2b. Opening and closing with `VX11_STOP_STRATEGY=pause`")
        add("")
        add("Method: a second madre with `VX11_STOP_STRATEGY=pause` on the mirror project. Its "
            "first window of s1..s3 starts the stopped containers "
            f"({ms(pz['first_open'])} ms) and its close pauses them; then each round opens the "
            "same window (`\"wait\":true`, `\"skip_health\":true`: madre unpauses the three "
            "containers) and closes it (madre pauses them), 0.2 s apart. Every round checks "
            "through the Engine API that the containers are unpaused after the open and paused "
            "after the close. The re-opens through `POST /madre/power/window/open` (the original "
            "clients' route: readiness included) come next, each followed, 0.2 s later, by the "
            "floor of the same re-open through the Engine API alone (the three unpauses in "
            "parallel and one listing of the project, then the three pauses), so that both see "
            "the same load.")
        add("")
        if pz.get("ops"):
            add(ops_sentence("What madre ran for an open", pz["ops"]))
            add("")
        add("| operation | n | median ms | spread ms |")
        add("| --- | ---: | ---: | --- |")
        for name in ("open", "close"):
            s = summary(pz[name])
            add(f"| {name} | {s['n']} | {ms(s['median'])} | {spread(s)} |")
        if pz.get("legacy_open"):
            s = summary(pz["legacy_open"])
            add(f"| re-open through `POST /madre/power/window/open` (readiness included) | "
                f"{s['n']} | {ms(s['median'])} | {spread(s)} |")
        if pz.get("engine_reopen"):
            s = summary(pz["engine_reopen"])
            add(f"| Engine API floor: 3 parallel unpauses + one listing | "
                f"{s['n']} | {ms(s['median'])} | {spread(s)} |")
        add("")
        if pz.get("legacy_ops"):
            add(ops_sentence("What madre ran for the last re-open through "
                             "`/madre/power/window/open`", pz["legacy_ops"]))
            add("")

    add("## 3. TTL precision")
    add("")
    if ttl:
        add(f"Method: {ttl['windows']} windows one after the other, on `s1`/`s2`/`s3` in turn, "
            "`ttl_sec` 1 and 2 alternately, opened with `skip_health` and `wait`. madre's own "
            "histogram `madre_ttl_stop_lag_seconds` (deadline → stop issued) is read from "
            "`GET /metrics` before and after; the difference gives the bucket counts, and a "
            "quantile's bounds are those of the bucket where the cumulative count reaches it. "
            "Externally, from the window's `deadline`: the container is polled through the "
            "Engine API every 20 ms (first poll that sees it stopped), Docker's `State.FinishedAt` "
            "(when the process exited), and madre's `closed_at` of the window.")
        add("")
        h = ttl["histogram"]
        add(f"madre's histogram over these windows: {h['count']:.0f} observations, mean "
            f"{ms(ttl['mean_metric'])} ms; p50 in {bound_text(as_bounds(ttl['p50_bounds']))}, "
            f"p99 in {bound_text(as_bounds(ttl['p99_bounds']))}.")
        add("")
        add("| bucket le (s) | " + " | ".join(
            ("+Inf" if (isinstance(le, str) or math.isinf(float(le))) else f"{float(le):g}")
            for le, _ in h["buckets"]) + " |")
        add("| --- | " + " | ".join("---:" for _ in h["buckets"]) + " |")
        add("| cumulative count | " + " | ".join(f"{c:.0f}" for _, c in h["buckets"]) + " |")
        add("")
        add("| from the deadline to | n | median ms | p90 ms | p99 ms | max ms |")
        add("| --- | ---: | ---: | ---: | ---: | ---: |")
        for label, key in (("container stopped (`FinishedAt`)", "finished"),
                           ("container seen stopped (20 ms polling)", "poll"),
                           ("window `closed_at`", "closed")):
            s = ttl[key]
            if s:
                add(f"| {label} | {s['n']} | {ms(s['median'])} | {ms(s['p90'])} | {ms(s['p99'])} | "
                    f"{ms(s['max'])} |")
        add("")
        if ttl["not_ttl_expired"]:
            add(f"**{ttl['not_ttl_expired']} window(s) did not close with `ttl_expired`.**")
            add("")
        add("From \"stop issued\" to \"container stopped\" is Docker's stop (SIGTERM, the "
            "service's trap, exit); `closed_at` comes later because madre records the close "
            "only once it has observed the container at rest.")
        add("")
    else:
        add("Not measured (see errors).")
        add("")

    # --- 4 crash loop
    add("## 4. Crash-loop detection")
    add("")
    if cr:
        add("Method: `crashy` (`restart: always`, `CRASH=1`: it exits 1 a second after each start) "
            "is opened in a window with `skip_health`. `docker events --filter event=die` records "
            "each death's `timeNano`; the latency is from the third `die` after the open (madre's "
            "threshold: 3 deaths in 60 s) to the `time` of the `service.crashloop` audit record "
            "(`GET /madre/power/audit?after=`). The window is closed after each run. After the "
            "first run the same container is opened once more (the *repeat* probe: is a second "
            "crash loop of it reported within 3 s of its third death?); every further run uses a "
            "freshly created `crashy` container, so that the runs measure the latency whatever "
            "the probe found.")
        add("")
        add("| run | open → third die ms | third die → audit record ms | deaths by then | outcome |")
        add("| ---: | ---: | ---: | ---: | --- |")
        for i, x in enumerate(cr["runs"], 1):
            add(f"| {i} | {ms(x['open_to_third_die'])} | {ms(x['third_die_to_audit'])} | "
                f"{x['dies_before_report']} | {x['outcome']} |")
        rep = cr.get("repeat")
        if rep is not None:
            if rep["reported"]:
                add(f"| repeat | {ms(rep['open_to_third_die'])} | {ms(rep['third_die_to_audit'])} | "
                    f"{rep['dies_before_report']} | {rep['outcome']} |")
            else:
                add(f"| repeat | – | **no record** ({rep['dies_seen']} deaths in "
                    f"{rep['waited_sec']:.1f} s) | – | – |")
        add("")
    else:
        add("Not measured (see errors).")
        add("")

    # --- 5 HTTP
    add("## 5. HTTP throughput")
    add("")
    if http:
        add(f"Method: `wrk -t2 -c64 -d{http['duration']}s --latency` with "
            "`-H 'X-VX11-Token: <token>'` against madre, and against nginx (`worker_processes 1`, "
            "access log off) serving the same JSON bodies from files on another loopback port as "
            f"the ceiling (bodies: state {http['body_bytes'].get('state.json')} B, status "
            f"{http['body_bytes'].get('status.json')} B). The four runs are interleaved; wrk "
            "shares the 2 cores with the server.")
        add("")
        add("| target | runs | req/s (median) | p50 ms | p90 ms | p99 ms | non-2xx | socket errors |")
        add("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
        for name, runs in http["runs"].items():
            if not runs:
                continue
            med = lambda k: summary([x[k] for x in runs])["median"]
            add(f"| {name} | {len(runs)} | {med('rps'):,.0f} | {ms(med('p50'))} | {ms(med('p90'))} | "
                f"{ms(med('p99'))} | {sum(x['non2xx'] for x in runs)} | "
                f"{runs[-1]['socket_errors'].replace('Socket errors: ', '') or 'none'} |")
        st = http["runs"].get("madre /state")
        ng = http["runs"].get("nginx state.json")
        if st and ng:
            a = summary([x["rps"] for x in st])["median"]
            b = summary([x["rps"] for x in ng])["median"]
            add("")
            add(f"madre `/state` serves {a / b:.2f} × nginx's rate for the same body.")
        if http.get("cycles"):
            add("")
            add("Open/close cycles: `POST /madre/power/windows/open` (`wait`, `skip_health`) then "
                "`POST /madre/power/windows/close` of a window on `s2`, while a hold window keeps "
                "`s2` running, so no cycle waits for Docker: this is madre's own cost per window "
                "(request, planner, a persisted window row and an audit record with an fsync for "
                "each of the open and the close).")
            add("")
            add("| clients at once | cycles | seconds | cycles/s |")
            add("| ---: | ---: | ---: | ---: |")
            for c in http["cycles"]:
                add(f"| {c['clients']} | {c['cycles']} | {c['sec']:.2f} | {c['rate']:,.0f} |")
        add("")
    else:
        add("Not measured (see errors).")
        add("")

    # --- 6 idle
    add("## 6. Idle cost")
    add("")
    if idle:
        add(f"Method: after the benchmarks above (all windows closed, 2 s settle), madre is left "
            f"alone for {idle['seconds']} s; CPU is `utime + stime` of `/proc/PID/stat` (clock "
            "ticks, 10 ms each), context switches are summed over `/proc/PID/task/*/status`, "
            "memory is `VmRSS` / `VmHWM` of `/proc/PID/status`. madre's periodic resync "
            "(`VX11_RESYNC_SEC`, default 30 s) is left at its default.")
        add("")
        fresh = r.get("fresh", {})
        add("| | value |")
        add("| --- | ---: |")
        add(f"| idle period | {idle['seconds']} s |")
        add(f"| CPU time | {idle['cpu_sec']:.2f} s ({idle['ticks']} ticks) |")
        add(f"| context switches (wake-ups) | {idle['ctx_switches']} ({idle['ctx_switches'] / idle['seconds']:.1f}/s) |")
        add(f"| threads | {idle['threads']} |")
        add(f"| RSS just after start-up | {fresh.get('rss_kb', 0) / 1024:.1f} MiB |")
        add(f"| RSS after the benchmarks, idle | {idle['rss_kb'] / 1024:.1f} MiB |")
        add(f"| peak RSS (VmHWM) | {idle['hwm_kb'] / 1024:.1f} MiB |")
        if idle.get("anon_kb"):
            add(f"| of the idle RSS, private (RssAnon) | {idle['anon_kb'] / 1024:.1f} MiB; the rest is "
                "mapped library code (libstdc++, libc, libsqlite3, ... shared with other processes) |")
        add(f"| start-up until `/state` answers 200 | {ms(fresh.get('startup_sec'))} ms |")
        add("")
    else:
        add("Not measured (see errors).")
        add("")

    # --- 7 growth
    add("## 7. Growth: services and history")
    add("")
    g = r.get("growth")
    if g:
        seed = g["seed"]
        add("Method: the main project (11 services) before and after seeding its history, then "
            "projects of more services (created with `docker-compose up --no-start`, 20 services per call: docker-compose 1.29 intermittently stalls creating 100 in one call), each with a "
            "madre of its own. History is seeded by opening and closing windows on a service that "
            "a hold window keeps running (no Docker work, 4 clients in parallel): "
            f"{seed['windows']:,} windows in {seed['seconds']:.1f} s "
            f"({seed['windows'] / max(seed['seconds'], 1e-9):.0f} windows/s"
            + ("" if seed.get("complete", True) else ", **stopped by its time bound before the target**")
            + "; each open and close is written to SQLite and the audit files, so the rate follows "
            "the disk's sync latency). Per point: "
            f"`GET /state`, `GET /status`, `GET /windows/status?limit=20` ({cfg['growth_reps']} each), "
            f"open + close of one stopped service ({cfg['growth_docker_reps']} each, `skip_health`), "
            f"and open + close of a window on a service that is already running "
            f"({cfg['growth_reps']} each: madre's own cost). Medians in ms.")
        add("")
        add("| services | windows in history | GET /state | GET /status | GET /windows/status | "
            "open (start 1) | close (stop 1) | open (shared) | close (shared) | RSS MiB |")
        add("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for row in g["rows"]:
            add(f"| {row['services']} | {row['history']:,} | {ms(row['state']['median'])} | "
                f"{ms(row['status']['median'])} | {ms(row['windows_status']['median'])} | "
                f"{ms(row['open_start']['median'])} | {ms(row['close_stop']['median'])} | "
                f"{ms(row['open_shared']['median'])} | {ms(row['close_shared']['median'])} | "
                f"{row['rss_kb'] / 1024:.1f} |")
        add("")
        pts = [row for row in g["rows"] if not row.get("history_point")]
        if len(pts) >= 2:
            a, b = min(pts, key=lambda x: x["services"]), max(pts, key=lambda x: x["services"])
            dn = b["services"] - a["services"]
            slope = (b["status"]["median"] - a["status"]["median"]) / dn
            add(f"`GET /status` grows by about {slope * 1000:.2f} ms per service "
                f"({a['services']} → {b['services']} services: {ms(a['status']['median'])} → "
                f"{ms(b['status']['median'])} ms); `GET /state` stays at "
                f"{ms(a['state']['median'])} → {ms(b['state']['median'])} ms.")
            add("")
        h = [row for row in g["rows"] if row["services"] == g["rows"][0]["services"]]
        if len(h) >= 2:
            add(f"With {h[-1]['history']:,} windows of history instead of {h[0]['history']:,}: "
                f"open (shared) {ms(h[0]['open_shared']['median'])} → {ms(h[-1]['open_shared']['median'])} ms, "
                f"close (shared) {ms(h[0]['close_shared']['median'])} → {ms(h[-1]['close_shared']['median'])} ms, "
                f"`GET /windows/status?limit=20` {ms(h[0]['windows_status']['median'])} → "
                f"{ms(h[-1]['windows_status']['median'])} ms.")
            add("")
        created = r.get("creation", {})
        parts = []
        for row in g["rows"]:
            if "startup_sec" in row:
                parts.append(f"{row['services']} services: created in {row.get('create_sec', 0):.1f} s, "
                             f"madre ready in {row['startup_sec']:.2f} s")
        if parts:
            add("Set-up: " + "; ".join(parts) + ".")
            add("")
        if g.get("png"):
            add(f"![time per request as the project grows]({os.path.basename(g['png'])})")
            add("")
    else:
        add("Not measured (see errors).")
        add("")

    # --- 8 CLI
    cli = r.get("cli")
    add("## 8. CLI round trip")
    add("")
    if cli:
        add(f"Method: `hyperfine -N --warmup 2 --runs {cli['runs']}` (read-only commands, so not "
            "interleaved): `madre status` and `madre state` (client → daemon → answer printed) "
            "beside `docker-compose -p P -f F ps`, which shows what `madre status` shows.")
        add("")
        add("| command | runs | median ms | spread ms |")
        add("| --- | ---: | ---: | --- |")
        for name, s in cli["results"].items():
            add(f"| `{name}` | {s['n']} | {ms(s['median'])} | {spread(s)} |")
        add("")
    else:
        add("Not measured (see errors).")
        add("")

    L.extend(issue_sections(r, cfg))

    # --- timings
    add("## Run time per part")
    add("")
    add("| part | seconds |")
    add("| --- | ---: |")
    for k, v in r.get("timings", {}).items():
        add(f"| {k} | {v:.0f} |")
    add("")
    return "\n".join(L)


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        results = json.load(f)
    sys.path.insert(0, __import__("os").path.dirname(__file__))
    from bench import MODES
    sys.stdout.write(render(results, MODES[results["mode"]]))
