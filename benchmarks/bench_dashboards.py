"""Benchmark of the classroom dashboards: prints figures, asserts nothing.

1. Time to first render, plain Voila against the course's classroom configuration (preheated
   kernels, culling, a kernel cap), in the same run: each dashboard opened in a fresh browser
   context, timed from navigation until its first widget and its plotly figure are drawn.
   Every dashboard is opened ``ROUNDS`` times; between two opens the server is left to settle
   (its processes idle), as a teacher's click would find it.
2. A load test of the classroom configuration: ``SESSIONS`` browser sessions at once, each opens
   a dashboard (in turn) and moves a widget ``MOVES`` times, waiting each time for the figure or
   table to change. Prints errors, sessions that got every answer, time to render (median,
   95th percentile), time to answer a move, and the memory (RSS) of Voila with its kernels.

Everything runs on 127.0.0.1 and stops by itself (every wait has a timeout). The machine's load
average is printed with each measurement: other work on the machine changes the figures.

Run with `.venv/bin/python benchmarks/bench_dashboards.py [--rounds 2] [--sessions 20]`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import psutil

from servicecourse import dashboards

try:
    from servicecourse.browser import CHROMIUM, CHROMIUM_ARGS
except ImportError:  # the shared module is newer than this script
    CHROMIUM = "/usr/bin/chromium"
    CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                     "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync"]  # fmt: skip

RENDER_TIMEOUT_MS = 120_000
MOVE_TIMEOUT_MS = 60_000
SESSION_TIMEOUT_S = 240


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} CPUs)"


def tree(child: subprocess.Popen) -> list[psutil.Process]:
    try:
        root = psutil.Process(child.pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def rss_mb(child: subprocess.Popen) -> tuple[float, int]:
    """Resident memory of Voila and all its kernels, and how many kernels there are."""
    total, kernels = 0, 0
    for proc in tree(child):
        with contextlib.suppress(psutil.Error):
            total += proc.memory_info().rss
            kernels += "ipykernel" in " ".join(proc.cmdline())
    return total / 2**20, kernels


def settle(child: subprocess.Popen, timeout: float = 90, quiet: float = 8.0) -> float:
    """Wait until Voila and its kernels use less than ``quiet`` % of a CPU (pools filled)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        procs = tree(child)
        for proc in procs:
            with contextlib.suppress(psutil.Error):
                proc.cpu_percent(None)
        time.sleep(1.0)
        busy = 0.0
        for proc in procs:
            with contextlib.suppress(psutil.Error):
                busy += proc.cpu_percent(None)
        if busy < quiet:
            break
    return time.monotonic() - started


@contextlib.contextmanager
def voila(classroom: bool, log_dir: Path, pool_size: int = dashboards.POOL_SIZE):
    folder = log_dir / ("classroom" if classroom else "plain")
    dashboards.stage(folder)
    port = dashboards._free_port()
    url = f"http://127.0.0.1:{port}/"
    log = open(log_dir / f"{folder.name}.log", "w")  # noqa: SIM115 - closed below
    launched = time.monotonic()
    child = dashboards.start_voila(
        folder,
        port,
        classroom=classroom,
        pool_size=pool_size,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        dashboards.wait_until_serving(url, child)
        up = time.monotonic() - launched
        settled = settle(child, timeout=180)
        print(
            f"  {folder.name}: landing page after {up:.1f} s, settled after {settled:.1f} s more;"
            f" {rss_mb(child)[0]:.0f} MB RSS with {rss_mb(child)[1]} kernel(s); {load()}"
        )
        yield url, child
    finally:
        dashboards.stop_voila(child)
        log.close()


# --- 1. time to first render ------------------------------------------------------------------


def first_renders(url: str, child, browser, rounds: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {}
    for _ in range(rounds):
        for dashboard in dashboards.find_dashboards():
            settle(child, timeout=60)
            context = browser.new_context()
            page = context.new_page()
            started = time.perf_counter()
            page.goto(url + dashboard.url_path, wait_until="commit")
            page.wait_for_selector(dashboards.RENDERED, timeout=RENDER_TIMEOUT_MS)
            if page.locator(".js-plotly-plot").count():
                page.wait_for_selector(dashboards.FIGURE_DRAWN, timeout=RENDER_TIMEOUT_MS)
            times.setdefault(dashboard.staged_name, []).append(time.perf_counter() - started)
            page.close(run_before_unload=True)
            context.close()
    return times


def bench_first_render(rounds: int, log_dir: Path) -> None:
    from playwright.sync_api import sync_playwright

    print(f"\n== Time to first render (navigation to widget + figure drawn), {rounds} rounds")
    results = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for classroom in (False, True):
            name = "classroom" if classroom else "plain"
            with voila(classroom, log_dir) as (url, child):
                print(f"  measuring {name}: {load()}")
                results[name] = first_renders(url, child, browser, rounds)
                print(f"  measured {name}: {load()}")
        browser.close()
    print(f"  {'dashboard':<44} {'plain Voila (s)':<22} {'classroom (s)':<22}")
    for dashboard in results["plain"]:
        cells = [" ".join(f"{t:4.1f}" for t in results[name][dashboard]) for name in results]
        print(f"  {dashboard:<44} {cells[0]:<22} {cells[1]:<22}")
    for name, per in results.items():
        every = [t for ts in per.values() for t in ts]
        print(f"  median {name}: {statistics.median(every):.2f} s (max {max(every):.2f} s)")


# --- 2. a class at once -------------------------------------------------------------------------

MOVE_JS = """() => {
  const box = document.querySelector("#rendered_cells .widget-toggle-buttons");
  const other = box && box.querySelector("button:not(.mod-active)");
  if (other) { other.click(); return "toggle buttons"; }
  const select = document.querySelector("#rendered_cells .widget-dropdown select");
  if (select) {
    select.selectedIndex = (select.selectedIndex + 1) % select.options.length;
    select.dispatchEvent(new Event("change", { bubbles: true }));
    return "dropdown";
  }
  const check = document.querySelector("#rendered_cells .widget-checkbox input");
  if (check) { check.click(); return "checkbox"; }
  return null;
}"""


async def session(browser, url: str, dashboard, moves: int, record: dict) -> None:
    context = await browser.new_context()
    page = await context.new_page()
    record.update(dashboard=dashboard.staged_name, errors=[], moves=[])
    page.on("console", lambda m: record["errors"].append(m.text) if m.type == "error" else None)
    page.on(
        "response",
        lambda r: record["errors"].append(f"HTTP {r.status} {r.url}") if r.status >= 400 else None,
    )
    try:
        started = time.perf_counter()
        await page.goto(url + dashboard.url_path, wait_until="commit")
        await page.wait_for_selector(dashboards.RENDERED, timeout=RENDER_TIMEOUT_MS)
        if await page.locator(".js-plotly-plot").count():
            await page.wait_for_selector(dashboards.FIGURE_DRAWN, timeout=RENDER_TIMEOUT_MS)
        record["render"] = time.perf_counter() - started
        for _ in range(moves):
            before = await page.evaluate(dashboards.FINGERPRINT)
            moved_at = time.perf_counter()
            if await page.evaluate(MOVE_JS) is None:
                record["errors"].append("no control to move")
                break
            await page.wait_for_function(
                f"(before) => ({dashboards.FINGERPRINT})() !== before",
                arg=before,
                timeout=MOVE_TIMEOUT_MS,
            )
            record["moves"].append(time.perf_counter() - moved_at)
        shown = page.locator("[data-mime-type='application/vnd.jupyter.stderr']")
        if await shown.count():
            record["errors"].append("stderr: " + " | ".join(await shown.all_inner_texts()))
    except Exception as err:  # noqa: BLE001 - every failure is a figure of the report
        record["errors"].append(f"{type(err).__name__}: {str(err).splitlines()[0][:120]}")
    finally:
        await page.close(run_before_unload=True)
        await context.close()


async def a_class(url: str, sessions: int, moves: int, stagger: float) -> list[dict]:
    from playwright.async_api import async_playwright

    found = dashboards.find_dashboards()
    records = [{} for _ in range(sessions)]
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

        async def one(i):
            await asyncio.sleep(i * stagger)
            try:
                await asyncio.wait_for(
                    session(browser, url, found[i % len(found)], moves, records[i]),
                    SESSION_TIMEOUT_S,
                )
            except TimeoutError:
                records[i].setdefault("errors", []).append("session timed out")

        await asyncio.gather(*(one(i) for i in range(sessions)))
        await browser.close()
    return records


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bench_load(sessions: int, moves: int, stagger: float, pool: int, log_dir: Path) -> None:
    arrival = "all at once" if not stagger else f"one every {stagger:g} s"
    print(
        f"\n== A class: {sessions} sessions ({arrival}), {moves} widget moves each; "
        f"{pool} preheated kernel(s) per dashboard"
    )
    with voila(True, log_dir, pool_size=pool) as (url, child):
        peak = {"mb": 0.0, "kernels": 0}
        done = threading.Event()

        def sample():
            while not done.wait(0.5):
                mb, kernels = rss_mb(child)
                peak["mb"] = max(peak["mb"], mb)
                peak["kernels"] = max(peak["kernels"], kernels)

        sampler = threading.Thread(target=sample, daemon=True)
        print(f"  start: {load()}")
        started = time.monotonic()
        sampler.start()
        records = asyncio.run(a_class(url, sessions, moves, stagger))
        done.set()
        sampler.join()
        took = time.monotonic() - started
        after_mb, after_kernels = rss_mb(child)
        print(f"  end after {took:.0f} s: {load()}")
    renders = [r["render"] for r in records if "render" in r]
    answers = [t for r in records for t in r.get("moves", [])]
    complete = [r for r in records if "render" in r and len(r.get("moves", [])) == moves]
    errors = [(r.get("dashboard", "?"), e) for r in records for e in r.get("errors", [])]
    print(f"  sessions with every answer: {len(complete)}/{sessions}; errors: {len(errors)}")
    for where, error in errors[:10]:
        print(f"    {where}: {error}")
    if renders:
        print(
            f"  time to render: median {statistics.median(renders):.1f} s, 95th percentile "
            f"{percentile(renders, 0.95):.1f} s, max {max(renders):.1f} s ({len(renders)} renders)"
        )
    if answers:
        print(
            f"  time to answer a move: median {statistics.median(answers):.2f} s, 95th "
            f"percentile {percentile(answers, 0.95):.2f} s ({len(answers)} moves)"
        )
    print(
        f"  memory of Voila + kernels: peak {peak['mb']:.0f} MB with {peak['kernels']} kernels; "
        f"{after_mb:.0f} MB with {after_kernels} kernels when the sessions had closed"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="opens of each dashboard")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--moves", type=int, default=3)
    parser.add_argument(
        "--stagger", type=float, default=0.0, help="seconds between two sessions' arrivals"
    )
    parser.add_argument(
        "--pool",
        type=int,
        default=dashboards.POOL_SIZE,
        help="preheated kernels per dashboard in the load test (default: the course's)",
    )
    parser.add_argument("--skip-first-render", action="store_true")
    parser.add_argument("--skip-load", action="store_true")
    args = parser.parse_args()
    print(f"Dashboards: {len(dashboards.find_dashboards())}; pool size {dashboards.POOL_SIZE}")
    with tempfile.TemporaryDirectory(prefix="bench-dashboards-") as tmp:
        if not args.skip_first_render:
            bench_first_render(args.rounds, Path(tmp))
        if not args.skip_load:
            bench_load(args.sessions, args.moves, args.stagger, args.pool, Path(tmp))


if __name__ == "__main__":
    main()
