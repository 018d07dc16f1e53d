"""Benchmark of the classroom dashboards: prints figures, asserts nothing.

1. Time to first render, plain Voila against the course's classroom configuration (preheated
   kernels, plotly's widget code as a preloaded static file, culling, a kernel cap), in the same
   run: each dashboard opened in a fresh browser context (nothing cached), timed from navigation
   until its first widget and its plotly figure are drawn. Every dashboard is opened ``ROUNDS``
   times; before each open the server is left to settle (its processes idle, pools refilled), as
   a teacher's click would find it. The classroom is also timed in a browser whose cache holds
   the JavaScript already (a learner's second dashboard, or a reload).
2. A class at once on the classroom configuration: ``SESSIONS`` learners arrive together (or
   one every ``--stagger`` seconds), each opens a dashboard (in turn, or all the same one with
   ``--dashboard``) and moves a control ``MOVES`` times, waiting each time for the kernel's
   answer (the figure or table update). ``--browsers`` of them are real headless Chromium
   pages (answer: the figure or table changes on screen); the others are protocol-level
   learners (tests/kit/dashboard_load.py), which do on the wire what the page does: twenty
   browsers on two cores would measure the browsers, not the server. Prints errors, sessions
   that got every answer, time to render and to answer (median, 95th percentile), and the
   memory of Voila with its kernels (resident, and unique to each process), peak and at the end.

Everything runs on 127.0.0.1 and stops by itself (every wait has a timeout). The machine's load
average is printed with each measurement: other work on the machine changes the figures.

Run with `.venv/bin/python benchmarks/bench_dashboards.py [--rounds 2] [--sessions 20]
[--pool 5] [--preheat NAME=N] [--dashboard NAME] [--browsers 1]`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from servicecourse.classroom import dashboards, server, staging, thumbnails
from servicecourse.paths import DEFAULTS

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from kit import dashboard_load  # noqa: E402 - the test kit is not part of the package

from servicecourse.classroom.browser import CHROMIUM, CHROMIUM_ARGS

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


def memory(child: subprocess.Popen, unique: bool = False) -> tuple[float, float, int]:
    """Resident and unique memory (MB) of Voila and all its kernels, and how many kernels.

    Resident memory counts the shared libraries once per process; unique memory (USS, slower
    to read) is what each process alone holds: their sum is nearer to what the machine spends.
    """
    rss = uss = 0
    kernels = 0
    for proc in tree(child):
        with contextlib.suppress(psutil.Error):
            if unique:
                info = proc.memory_full_info()
                uss += info.uss
            else:
                info = proc.memory_info()
            rss += info.rss
            kernels += "ipykernel" in " ".join(proc.cmdline())
    return rss / 2**20, uss / 2**20, kernels


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
def voila(
    classroom: bool,
    log_dir: Path,
    pool_size: int = DEFAULTS.dashboards_pool_size,
    pool_sizes: dict[str, int] | None = None,
):
    folder = log_dir / ("classroom" if classroom else "plain")
    staging.stage(folder, classroom=classroom)
    port = server.free_port()
    url = f"http://127.0.0.1:{port}/"
    log = open(log_dir / f"{folder.name}.log", "w")  # noqa: SIM115 - closed below
    launched = time.monotonic()
    child = server.start_voila(
        folder,
        port,
        classroom=classroom,
        pool_size=pool_size,
        pool_sizes=pool_sizes,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        server.wait_until_serving(url, child)
        up = time.monotonic() - launched
        settled = settle(child, timeout=300)
        rss, uss, kernels = memory(child, unique=True)
        print(
            f"  {folder.name}: landing page after {up:.1f} s, settled after {settled:.1f} s more;"
            f" {rss:.0f} MB resident ({uss:.0f} MB unique) with {kernels} kernel(s); {load()}"
        )
        yield url, child
    finally:
        server.stop_voila(child)
        log.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def spread(values: list[float], unit: str = "s") -> str:
    if not values:
        return "none"
    return (
        f"median {statistics.median(values):.2f} {unit}, 95th percentile "
        f"{percentile(values, 0.95):.2f} {unit}, max {max(values):.2f} {unit} ({len(values)})"
    )


# --- 1. time to first render ------------------------------------------------------------------


def first_renders(
    url: str, child, browser, rounds: int, warm: bool = False
) -> dict[str, list[float | None]]:
    """Seconds to render each dashboard; ``warm``: in one browser context that has rendered
    every dashboard once before (its cache holds the JavaScript), else each time a new one."""
    times: dict[str, list[float | None]] = {}
    shared = browser.new_context() if warm else None
    for round_ in range(rounds + warm):
        for dashboard in dashboards.find_dashboards():
            settle(child, timeout=120)
            context = shared or browser.new_context()
            page = context.new_page()
            started = time.perf_counter()
            try:
                page.goto(url + dashboard.url_path, wait_until="commit", timeout=RENDER_TIMEOUT_MS)
                page.wait_for_selector(thumbnails.RENDERED, timeout=RENDER_TIMEOUT_MS)
                if page.locator(".js-plotly-plot").count():
                    page.wait_for_selector(thumbnails.FIGURE_DRAWN, timeout=RENDER_TIMEOUT_MS)
                took = time.perf_counter() - started
            except Exception as err:  # noqa: BLE001 - a failed render is a figure of the report
                print(f"    {dashboard.staged_name}: no render ({type(err).__name__})")
                took = None
            if not (warm and round_ == 0):
                times.setdefault(dashboard.staged_name, []).append(took)
            page.close(run_before_unload=True)
            if not shared:
                context.close()
    if shared:
        shared.close()
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
                if classroom:
                    results["classroom, cached"] = first_renders(
                        url, child, browser, rounds, warm=True
                    )
                print(f"  measured {name}: {load()}")
        browser.close()

    def shown(ts):
        return " ".join("fail" if t is None else f"{t:4.1f}" for t in ts)

    print(f"  {'dashboard':<40}" + "".join(f"{name + ' (s)':<22}" for name in results))
    for dashboard in results["plain"]:
        cells = [shown(results[name][dashboard]) for name in results]
        print(f"  {dashboard:<40}" + "".join(f"{cell:<22}" for cell in cells))
    for name, per in results.items():
        every = [t for ts in per.values() for t in ts if t is not None]
        failed = sum(t is None for ts in per.values() for t in ts)
        worst = max(
            statistics.median([t for t in ts if t is not None] or [0]) for ts in per.values()
        )
        print(
            f"  {name}: median {statistics.median(every):.2f} s, max {max(every):.2f} s, "
            f"slowest dashboard's median {worst:.2f} s; {failed} failed"
        )


# --- 2. a class at once -------------------------------------------------------------------------

MOVE_JS = """() => {
  const box = document.querySelector("#rendered_cells .widget-toggle-buttons");
  const other = box && box.querySelector("button:not(.mod-active)");
  const select = document.querySelector("#rendered_cells .widget-dropdown select");
  if (select && select.options.length > 1) {
    select.selectedIndex = (select.selectedIndex + 1) % select.options.length;
    select.dispatchEvent(new Event("change", { bubbles: true }));
    return "dropdown";
  }
  const check = document.querySelector("#rendered_cells .widget-checkbox input");
  if (check) { check.click(); return "checkbox"; }
  if (other) { other.click(); return "toggle buttons"; }
  return null;
}"""


async def browser_session(browser, url: str, dashboard, moves: int) -> dashboard_load.Session:
    """A learner in headless Chromium: render = widget and figure drawn; answer = it changed."""
    record = dashboard_load.Session(dashboard=dashboard.staged_name)
    context = await browser.new_context()
    page = await context.new_page()
    page.on("console", lambda m: record.errors.append(m.text) if m.type == "error" else None)
    page.on(
        "response",
        lambda r: record.errors.append(f"HTTP {r.status} {r.url}") if r.status >= 400 else None,
    )
    try:
        started = time.perf_counter()
        # Voila answers once a kernel is ready: beyond the pool, after a refill.
        await page.goto(url + dashboard.url_path, wait_until="commit", timeout=RENDER_TIMEOUT_MS)
        await page.wait_for_selector(thumbnails.RENDERED, timeout=RENDER_TIMEOUT_MS)
        if await page.locator(".js-plotly-plot").count():
            await page.wait_for_selector(thumbnails.FIGURE_DRAWN, timeout=RENDER_TIMEOUT_MS)
        record.render = time.perf_counter() - started
        for _ in range(moves):
            before = await page.evaluate(thumbnails.FINGERPRINT)
            moved_at = time.perf_counter()
            kind = await page.evaluate(MOVE_JS)
            if kind is None:
                record.errors.append("no control to move")
                break
            await page.wait_for_function(
                f"(before) => ({thumbnails.FINGERPRINT})() !== before",
                arg=before,
                timeout=MOVE_TIMEOUT_MS,
            )
            record.answers.append(time.perf_counter() - moved_at)
            record.moved.append(kind)
        shown = page.locator("[data-mime-type='application/vnd.jupyter.stderr']")
        if await shown.count():
            record.errors.append("stderr: " + " | ".join(await shown.all_inner_texts()))
    except Exception as err:  # noqa: BLE001 - every failure is a figure of the report
        record.errors.append(f"{type(err).__name__}: {str(err).splitlines()[0][:120]}")
    finally:
        await page.close(run_before_unload=True)
        await context.close()
    return record


async def a_class(
    url: str, chosen: list, sessions: int, browsers: int, moves: int, stagger: float
) -> list[tuple[str, dashboard_load.Session]]:
    """``browsers`` Chromium learners (spread evenly among the others) and protocol learners."""
    from playwright.async_api import async_playwright

    every = max(1, sessions // browsers) if browsers else 0
    kinds = ["browser" if every and i % every == 0 and i // every < browsers else "protocol"
             for i in range(sessions)]  # fmt: skip

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

        async def one(i: int) -> dashboard_load.Session:
            await asyncio.sleep(i * stagger)
            dashboard = chosen[i % len(chosen)]
            if kinds[i] == "protocol":
                return await dashboard_load.learner(
                    url, dashboard.url_path, moves, timeout=SESSION_TIMEOUT_S
                )
            try:
                return await asyncio.wait_for(
                    browser_session(browser, url, dashboard, moves), SESSION_TIMEOUT_S
                )
            except TimeoutError:
                record = dashboard_load.Session(dashboard=dashboard.staged_name)
                record.errors.append("session timed out")
                return record

        records = await asyncio.gather(*(one(i) for i in range(sessions)))
        await browser.close()
    return list(zip(kinds, records, strict=True))


def bench_load(
    sessions: int,
    browsers: int,
    moves: int,
    stagger: float,
    pool: int,
    preheat: list[str],
    dashboard: str | None,
    log_dir: Path,
) -> None:
    found = dashboards.find_dashboards()
    pool_sizes = dashboards.preheat_sizes(preheat, found)
    chosen = found
    if dashboard:
        named = dashboards.preheat_sizes([f"{dashboard}=0"], found)
        chosen = [d for d in found if d.staged_name in named]
    arrival = "all at once" if not stagger else f"one every {stagger:g} s"
    which = "each opens the next dashboard in turn" if len(chosen) > 1 else (
        f"all open {chosen[0].staged_name}")  # fmt: skip
    print(
        f"\n== A class: {sessions} learners ({browsers} in Chromium), {arrival}, {which}, "
        f"{moves} widget moves each; {pool} preheated kernel(s) per dashboard"
        + "".join(f", {n} for {name}" for name, n in pool_sizes.items())
    )
    with voila(True, log_dir, pool_size=pool, pool_sizes=pool_sizes) as (url, child):
        peak = {"rss": 0.0, "uss": 0.0, "kernels": 0}
        done = threading.Event()

        def sample():
            while not done.wait(1.0):
                rss, uss, kernels = memory(child, unique=True)
                peak["rss"] = max(peak["rss"], rss)
                peak["uss"] = max(peak["uss"], uss)
                peak["kernels"] = max(peak["kernels"], kernels)

        before = memory(child, unique=True)
        sampler = threading.Thread(target=sample, daemon=True)
        print(f"  start: {load()}")
        started = time.monotonic()
        sampler.start()
        records = asyncio.run(a_class(url, chosen, sessions, browsers, moves, stagger))
        took = time.monotonic() - started
        done.set()
        sampler.join()
        after = memory(child, unique=True)
        print(f"  end after {took:.0f} s: {load()}")
        settle(child, timeout=180)
        settled = memory(child, unique=True)
    complete = [r for _, r in records if r.complete(moves)]
    errors = [(r.dashboard, e) for _, r in records for e in r.errors]
    print(f"  sessions with every answer: {len(complete)}/{sessions}; errors: {len(errors)}")
    for where, error in errors[:10]:
        print(f"    {where}: {error}")
    for kind in ("protocol", "browser"):
        mine = [r for k, r in records if k == kind]
        if not mine:
            continue
        what = ("page + widget state received" if kind == "protocol"
                else "widget and figure drawn")  # fmt: skip
        print(f"  {kind} learners ({len(mine)}):")
        if kind == "protocol":
            print(f"    time to the page: {spread([r.page for r in mine if r.page is not None])}")
        print(f"    time to render ({what}): {spread([r.render for r in mine if r.render])}")
        answers = [t for r in mine for t in r.answers]
        print(f"    time to answer a move: {spread(answers)}")
    print(
        f"  memory of Voila + kernels: before {before[0]:.0f} MB resident ({before[1]:.0f} MB "
        f"unique) with {before[2]} kernels; peak {peak['rss']:.0f} MB ({peak['uss']:.0f} MB) "
        f"with {peak['kernels']} kernels; when the sessions ended {after[0]:.0f} MB "
        f"({after[1]:.0f} MB) with {after[2]} kernels; pools refilled {settled[0]:.0f} MB "
        f"({settled[1]:.0f} MB) with {settled[2]} kernels (the learners' kernels stay until "
        f"culled, {server.CULL_IDLE_TIMEOUT} s after their tab closed)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="opens of each dashboard")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--browsers", type=int, default=1, help="learners in Chromium")
    parser.add_argument("--moves", type=int, default=3)
    parser.add_argument(
        "--stagger", type=float, default=0.0, help="seconds between two learners' arrivals"
    )
    parser.add_argument(
        "--pool",
        type=int,
        default=DEFAULTS.dashboards_pool_size,
        help="preheated kernels per dashboard in the load test (default: the course's)",
    )
    parser.add_argument(
        "--preheat", action="append", default=[], metavar="NAME=N", help="as for serve()"
    )
    parser.add_argument("--dashboard", help="every learner opens this dashboard (NAME)")
    parser.add_argument("--skip-first-render", action="store_true")
    parser.add_argument("--skip-load", action="store_true")
    args = parser.parse_args()
    found = len(dashboards.find_dashboards())
    print(f"Dashboards: {found}; pool size {DEFAULTS.dashboards_pool_size}")
    with tempfile.TemporaryDirectory(prefix="bench-dashboards-") as tmp:
        if not args.skip_first_render:
            bench_first_render(args.rounds, Path(tmp))
        if not args.skip_load:
            bench_load(
                args.sessions,
                min(args.browsers, args.sessions),
                args.moves,
                args.stagger,
                args.pool,
                args.preheat,
                args.dashboard,
                Path(tmp),
            )


if __name__ == "__main__":
    main()
