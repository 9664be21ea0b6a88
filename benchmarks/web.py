"""Load the web app as its users would: 20 people at once on a real `polku serve`, alone and
while a real `polku import` writes the store (issue 16, "Must show").

Bounded and local: the server listens on 127.0.0.1 only, on a free port; each simulated user
makes a fixed number of requests, pausing on average `--think` seconds between them (default
1 s, a fast clicker; 0 sends each request as soon as the last one answered, which measures
the server's queue more than its answers). Users are spread over the roles (case workers the
most) and log in first, one at a time (each argon2id check takes 64 MiB). Each then picks at
random among what its role may see: every registered view without a path parameter
(`polku.web.views.VIEWS`, HTML and `/api/` twin, so a view added later is loaded too) and the
pages of 20 clients in its scope.

Phase 1 is the server alone; phase 2 repeats the loop while `polku import` imports every file
of the area again (each a new export: its lines in reverse order, so each source is read,
validated, pseudonymised and replaced while the clients stay the same), and counts only the
requests that began while the import ran. Reported per phase: requests, errors (any status
other than 200, or no answer), p50, p95 and max latency, and the same per route, the server's
processor time per request and the machine's load average at the phase's start and end;
targets p95 < 300 ms and no errors. `--reference DIR` measures another Polku's source tree
(`git archive <commit> src | tar -x -C DIR`) the same way right after, on a fresh copy of
the same store, and prints the ratios: on a shared machine, a figure means most beside a
reference measured in the same run.

    uv run --frozen python benchmarks/web.py [--clients 20000] [--users 20] [--requests 40] [--think 1] [--workers 1] [--json]
    uv run --frozen python benchmarks/web.py --store polku-demo/store/polku.duckdb   # a demo store (copied first)
    uv run --frozen python benchmarks/web.py --store S --reference /tmp/ref   # and another Polku's source tree, with ratios

Without --store it builds a demo area (`polku.demo.run_demo`, the same as `polku demo
--no-serve`) in a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from polku.demo import run_demo
from polku.ingest.load import folder_files
from polku.web.access import allowed
from polku.web.accounts import User
from polku.web.demo import DEMO_PASSWORD
from polku.web.views import VIEWS

P95_TARGET_MS = 300.0
MIX = ("caseworker",) * 7 + ("teamlead",) * 4 + ("manager",) * 3 + ("provider",) * 3 + ("analyst",) * 2 + ("admin",)
"""Roles of the simulated users, cycled: 20 users are 7 case workers, 4 team leads, 3 managers,
3 providers, 2 analysts and an admin."""
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
TIMEOUT = 30.0


@dataclass
class Sample:
    route: str
    started: float
    ms: float
    status: int


@dataclass
class Phase:
    name: str
    samples: list[Sample] = field(default_factory=list)
    seconds: float = 0.0
    note: str = ""
    cpu_seconds: float = float("nan")
    """The server's processor time during the phase."""
    load: tuple[float, float] = (float("nan"), float("nan"))
    """The machine's 1-minute load average when the phase began and ended (other work on it)."""


# --- the store and the server -----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Area:
    store: Path
    key: Path | None
    data_dir: Path


def demo_area(folder: Path, clients: int, given: Path | None) -> Area:
    """A copy of the given demo store (with its accounts and runs), or a fresh demo area."""
    if given is not None:
        target = folder / "store" / given.name
        target.parent.mkdir(parents=True)
        for path in given.parent.glob(given.name + "*"):  # the store, accounts, runs, snapshots, audit journal
            (shutil.copytree if path.is_dir() else shutil.copy2)(path, target.parent / path.name)
        key = given.parent.parent / "secrets" / "pseudonym.key"
        return Area(target, key if key.is_file() else None, given.parent.parent / "synthetic")
    started = time.perf_counter()
    result = run_demo(folder / "demo", clients=clients, seed=0)
    print(f"demo area of {clients:,} clients built in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return Area(result.store_path, result.key_path, result.data_dir)


def polku(*args: str) -> list[str]:
    return [sys.executable, "-m", "polku", *args]


SERVER_PID = [0]


def _stat(pid: str) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def server_cpu_seconds() -> float:
    """Processor time the server has used so far, its worker processes included (Linux /proc;
    NaN elsewhere): a figure that, unlike latency, does not grow with what else runs on the machine."""
    try:
        server = str(SERVER_PID[0])
        ticks = 0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = _stat(entry.name)
            except OSError:
                continue  # ended meanwhile
            if entry.name == server or fields[1] == server:  # the server, or a process it started (a worker)
                ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def load_average() -> float:
    """The machine's 1-minute load average (NaN where the system has none)."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return float("nan")


@contextmanager
def server(store: Path, port: int, log: Path, workers: int = 1, source: Path | None = None) -> Iterator[str]:
    """`polku serve` as its own process until the block ends; its base address. With `source`, the
    server runs the Polku of that source tree (its `src` first on the path): the reference."""
    command = polku("serve", "--store", str(store), "--port", str(port), "--workers", str(workers))
    env = dict(os.environ) | ({"PYTHONPATH": str(source / "src")} if source is not None else {})
    with log.open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=out, env=env)
    SERVER_PID[0] = process.pid
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/login", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            raise SystemExit(f"the server did not answer within 60 s; see {log}")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


# --- the simulated users ------------------------------------------------------------------------


def log_in(base: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=TIMEOUT, follow_redirects=False)
    found = CSRF.search(client.get("/login").text)
    assert found, "no csrf_token on the login page"
    form = {"username": username, "password": DEMO_PASSWORD, "csrf_token": found.group(1)}
    answer = client.post("/login", data=form)
    if answer.status_code != 303:
        raise SystemExit(f"login as {username} failed ({answer.status_code}); is this a demo store?")
    return client


def routes_for(client: httpx.Client, role: str) -> list[str]:
    """Every plain view the role may read (HTML and API), and up to 20 of its clients' pages."""
    user = User(role, role)
    plain = [v.path for v in VIEWS if "{" not in v.path and (v.reads is None or allowed(user, v.reads))]
    routes = [p for path in plain for p in (path, "/api" + path)]
    if any(v.path == "/clients/{id}" and v.reads is not None and allowed(user, v.reads) for v in VIEWS):
        ids = [c["id"] for c in client.get("/api/clients").json()["clients"]]
        for person in random.Random(role).sample(ids, min(20, len(ids))):
            routes += [f"/clients/{person}", f"/api/clients/{person}"]
    return routes


def family(route: str) -> str:
    """A route's name in the report: client pages together."""
    return re.sub(r"/clients/[0-9a-f-]{36}", "/clients/{id}", route)


THINK = [0.0]
"""Mean pause in seconds between one user's requests (`--think`), drawn uniformly from 0.5x to 1.5x."""


def run_user(client: httpx.Client, routes: list[str], requests: int, until: threading.Event | None, out: list[Sample]) -> None:
    """`requests` requests over the routes at random (with `until`: go on until it is set, at most 5x)."""
    rng = random.Random(id(client))
    limit = requests if until is None else 5 * requests
    for i in range(limit):
        if until is not None and until.is_set() and i >= requests:
            break
        time.sleep(THINK[0] * rng.uniform(0.5, 1.5))
        route = rng.choice(routes)
        started = time.perf_counter()
        try:
            status = client.get(route).status_code
        except httpx.HTTPError:
            status = 0
        out.append(Sample(family(route), started, 1000 * (time.perf_counter() - started), status))


def load(users: list[tuple[httpx.Client, list[str]]], requests: int, until: threading.Event | None = None) -> list[Sample]:
    samples: list[list[Sample]] = [[] for _ in users]
    threads = [
        threading.Thread(target=run_user, args=(client, routes, requests, until, samples[i]))
        for i, (client, routes) in enumerate(users)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [s for user in samples for s in user]


# --- the import that runs meanwhile ------------------------------------------------------------


def reexport(data_dir: Path, out: Path) -> list[tuple[str, Path]]:
    """The area's files again, each with its data lines in reverse order: to Polku a new export
    of every source (another SHA-256), so each is read, validated, pseudonymised and replaces
    its rows, while the clients stay the same (their pages stay valid)."""
    out.mkdir()
    files = []
    for table, path in folder_files(data_dir):
        header, *body = path.read_bytes().splitlines(keepends=True)
        if body and not body[-1].endswith(b"\n"):
            body[-1] += b"\n"
        (out / path.name).write_bytes(header + b"".join(reversed(body)))
        files.append((table, out / path.name))
    return files


def during_import(users: list[tuple[httpx.Client, list[str]]], requests: int, area: Area, work: Path, nice: int = 0) -> Phase:
    """Phase 2: the users' loop while `polku import` imports every file again; only requests
    begun before the import ended count. `nice`: the import's niceness (`nice -n`), as
    docs/operations.md advises for imports on a machine that also serves."""
    files = reexport(area.data_dir, work / "second-export")
    cpu, load_before = server_cpu_seconds(), load_average()
    done, result = threading.Event(), {}
    thread = threading.Thread(target=lambda: result.update(_import_files(area, files, done, nice)))
    thread.start()
    samples = load(users, requests, until=done)
    thread.join()
    inside = [s for s in samples if result["started"] <= s.started < result["ended"]]
    seconds = result["ended"] - result["started"]
    note = f"{len(files)} files imported in {seconds:.1f} s at niceness {nice} (exit codes {sorted(set(result['exit_codes']))})"
    all_cpu = server_cpu_seconds() - cpu  # over every request of the phase, not only those inside
    phase = Phase("during import", inside, seconds, note, all_cpu * len(inside) / max(1, len(samples)))
    phase.load = (load_before, load_average())
    return phase


def _import_files(area: Area, files: list[tuple[str, Path]], done: threading.Event, nice: int) -> dict[str, Any]:
    key_args = ["--key-file", str(area.key)] if area.key else []
    codes, started = [], time.perf_counter()
    try:
        for table, path in files:
            args = polku("import", table, str(path), "--store", str(area.store), *key_args)
            lower = (lambda: os.nice(nice)) if nice else None
            codes.append(subprocess.run(args, capture_output=True, check=False, preexec_fn=lower).returncode)
    finally:
        done.set()
    return {"started": started, "ended": time.perf_counter(), "exit_codes": codes}


# --- figures --------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile by the nearest-rank method (no interpolation: a value that occurred)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(-(-q * len(ordered) // 100)) - 1))] if ordered else float("nan")


def figures(samples: list[Sample]) -> dict[str, Any]:
    ms = [s.ms for s in samples]
    errors = sum(s.status != 200 for s in samples)
    statuses: dict[str, int] = {}
    for s in samples:
        if s.status != 200:
            statuses[str(s.status)] = statuses.get(str(s.status), 0) + 1
    return {
        "requests": len(samples),
        "errors": errors,
        "error_statuses": statuses,
        "p50_ms": round(percentile(ms, 50), 1),
        "p95_ms": round(percentile(ms, 95), 1),
        "max_ms": round(max(ms, default=float("nan")), 1),
    }


def summary(phase: Phase) -> dict[str, Any]:
    by_route: dict[str, list[Sample]] = {}
    for s in phase.samples:
        by_route.setdefault(s.route, []).append(s)
    overall = figures(phase.samples)
    ok = overall["errors"] == 0 and overall["p95_ms"] < P95_TARGET_MS
    return {
        "phase": phase.name,
        "seconds": round(phase.seconds, 1),
        "note": phase.note,
        "load_average": list(phase.load),
        **overall,
        "server_cpu_ms_per_request": round(1000 * phase.cpu_seconds / max(1, len(phase.samples)), 1),
        "meets_target": ok,
        "routes": {route: figures(samples) for route, samples in sorted(by_route.items())},
    }


def _row(f: dict[str, Any]) -> str:
    return f"{f['requests']:>9}{f['errors']:>8}{f['p50_ms']:>9}{f['p95_ms']:>9}{f['max_ms']:>9}"


def table(results: list[dict[str, Any]]) -> str:
    head = f"{'phase / route':<34}{'requests':>9}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}"
    lines = [head, "-" * len(head)]
    for r in results:
        verdict = "OK" if r["meets_target"] else f"MISSES p95 < {P95_TARGET_MS:.0f} ms with no errors"
        lines.append(
            f"{r['phase']:<34}{r['requests']:>9}{r['errors']:>8}{r['p50_ms']:>9}{r['p95_ms']:>9}{r['max_ms']:>9}  {verdict}"
        )
        for route, f in r["routes"].items():
            lines.append(f"  {route:<32}{f['requests']:>9}{f['errors']:>8}{f['p50_ms']:>9}{f['p95_ms']:>9}{f['max_ms']:>9}")
        load = "-".join(f"{x:.1f}" for x in r["load_average"])
        lines.append(f"  server processor time {r['server_cpu_ms_per_request']} ms per request; load average {load}; {r['note']}")
        if r["error_statuses"]:
            lines.append(f"  error statuses {json.dumps(r['error_statuses'])}")
    return "\n".join(lines)


def warm_up(plans: list[tuple[httpx.Client, list[str]]]) -> None:
    """Every view but the client pages once per role (one user each, not counted): the server
    renders each section of the latest run once per language and keeps it, which a running
    server does once per new run; without it the first minute measures those renderings."""
    started, seen = time.perf_counter(), set()
    for (client, routes), role in zip(plans, MIX * len(plans)):
        if role not in seen:
            seen.add(role)
            for route in routes:
                if family(route) == route:
                    client.get(route)
    print(f"warm-up: every view once per role in {time.perf_counter() - started:.1f} s", file=sys.stderr)


def measure(area: Area, work: Path, args: argparse.Namespace, source: Path | None, label: str) -> list[Phase]:
    """Both phases against one server (this checkout's Polku, or the reference `source`)."""
    with server(area.store, free_port(), work / "server.log", args.workers, source) as base:
        users = [log_in(base, MIX[i % len(MIX)]) for i in range(args.users)]
        plans = [(client, routes_for(client, MIX[i % len(MIX)])) for i, client in enumerate(users)]
        if args.warm:
            warm_up(plans)
            label += "warm, "
        started, cpu, load_before = time.perf_counter(), server_cpu_seconds(), load_average()
        phases = [Phase(f"{label}server alone", load(plans, args.requests))]
        phases[0].seconds, phases[0].cpu_seconds = time.perf_counter() - started, server_cpu_seconds() - cpu
        phases[0].load = (load_before, load_average())
        if not args.no_import:
            phases.append(during_import(plans, args.requests, area, work, args.import_nice))
            phases[-1].name = label + phases[-1].name
        for client in users:
            client.close()
    return phases


def ratios(results: list[dict[str, Any]]) -> str:
    """The reference's figures over this checkout's, phase by phase (same run, same machine)."""
    ours = [r for r in results if not r["phase"].startswith(REFERENCE)]
    theirs = [r for r in results if r["phase"].startswith(REFERENCE)]
    lines = []
    for mine, ref in zip(ours, theirs):
        p95 = _ratio(ref["p95_ms"], mine["p95_ms"])
        cpu = _ratio(ref["server_cpu_ms_per_request"], mine["server_cpu_ms_per_request"])
        lines.append(f"{mine['phase']}: the reference's p95 is {p95:.1f}x, its processor time per request {cpu:.1f}x")
    return "\n".join(lines)


REFERENCE = "reference: "


def _ratio(theirs: float, ours: float) -> float:
    return theirs / ours if ours else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20000, help="clients of the demo area built (without --store)")
    parser.add_argument("--store", type=Path, default=None, help="an existing demo store (copied, never changed)")
    parser.add_argument("--users", type=int, default=20, help="simulated users at once")
    parser.add_argument("--requests", type=int, default=40, help="requests per user in each phase")
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds a user pauses between requests (0: none)")
    parser.add_argument("--workers", type=int, default=1, help="server processes (`polku serve --workers`)")
    parser.add_argument("--no-import", action="store_true", help="skip the phase with an import running")
    parser.add_argument(
        "--import-nice",
        type=int,
        default=0,
        help="niceness of the import in phase 2 (`nice -n`; docs/operations.md: 10 for imports beside a live server)",
    )
    parser.add_argument("--warm", action="store_true", help="first request every view once per role, not counted")
    parser.add_argument(
        "--reference",
        type=Path,
        default=None,
        help="a source tree of another Polku (e.g. `git archive <commit> src | tar -x -C DIR`): measured "
        "after this one on a fresh copy of the same store, with the ratios",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    THINK[0] = args.think
    with tempfile.TemporaryDirectory(prefix="polku-web-bench-") as tmp:
        work = Path(tmp)
        area = demo_area(work / "this", args.clients, args.store)
        pristine = args.store
        if args.reference is not None and pristine is None:  # the built store as it was, for the reference
            pristine = demo_area(work / "pristine", 0, area.store).store
        phases = measure(area, work / "this", args, None, "")
        if args.reference is not None:
            assert pristine is not None
            again = demo_area(work / "reference", 0, pristine)
            again = Area(again.store, area.key, area.data_dir)
            phases += measure(again, work / "reference", args, args.reference, REFERENCE)
    results = [summary(p) for p in phases]
    print(json.dumps(results, indent=2) if args.json else table(results))
    if args.reference is not None and not args.json:
        print(ratios(results))


if __name__ == "__main__":
    main()
