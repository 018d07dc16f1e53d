"""Load test of the course hub: prints figures, asserts nothing.

N simulated learners (20 by default) arrive at once on a loopback `servicecourse hub` with its
default limits (2 GB and 1 CPU per learner). Each learner, in a thread of its own, does what a
class does at the start of a session:

1. logs in through the hub's login form (PAM: a system user the benchmark makes, and removes);
2. opens JupyterLab, which starts their server (the hub's local spawner in their own cgroup);
3. starts a kernel on their server and runs a lesson's code cells over the kernel's websocket,
   as JupyterLab does (the source cells with the solutions filled in: a learner who answers).

Printed: time from the first request to a ready server, p50/p95/max; the lesson's run time,
p50/p95/max; errors by kind; peak memory of the hub and everything under it (sampled every
0.5 s from /proc) and the machine's peak memory in use; the load average.

Run as root (it creates users): `.venv/bin/python benchmarks/bench_hub_load.py
[--learners 20] [--lesson 04_proactive/03_readings_to_events]`.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import websocket

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from kit import hub as kit  # noqa: E402 - the test kit is not part of the package

from servicecourse.paths import find_module  # noqa: E402


def lesson_cells(name: str) -> list[str]:
    module, notebook = name.split("/")
    path = find_module(module).path / f"{notebook}.ipynb"
    nb = nbformat.read(path, as_version=4)
    return [cell.source for cell in nb.cells if cell.cell_type == "code" and cell.source.strip()]


def run_cells(session, server: str, name: str, cells: list[str], timeout: float = 600) -> None:
    """Start a kernel on the learner's server and run CELLS in it over its websocket, one
    execute_request at a time (JupyterLab's "Run all"); raise on the first failing cell."""
    headers = kit.xsrf_headers(session, f"/user/{name}/")
    kernel = session.post(f"{server}/api/kernels", headers=headers, timeout=120)
    kernel.raise_for_status()
    kernel_id = kernel.json()["id"]
    cookies = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
    url = server.replace("http://", "ws://") + f"/api/kernels/{kernel_id}/channels"
    client = uuid.uuid4().hex
    socket = websocket.create_connection(
        f"{url}?session_id={client}", cookie=cookies, timeout=timeout
    )
    try:
        for index, code in enumerate(cells):
            msg_id = uuid.uuid4().hex
            socket.send(
                json.dumps(
                    {
                        "header": {
                            "msg_id": msg_id,
                            "username": name,
                            "session": client,
                            "msg_type": "execute_request",
                            "version": "5.3",
                        },
                        "parent_header": {},
                        "metadata": {},
                        "content": {
                            "code": code,
                            "silent": False,
                            "store_history": True,
                            "user_expressions": {},
                            "allow_stdin": False,
                            "stop_on_error": True,
                        },
                        "channel": "shell",
                        "buffers": [],
                    }
                )
            )
            while True:
                reply = json.loads(socket.recv())
                if (
                    reply.get("channel") == "shell"
                    and reply["parent_header"].get("msg_id") == msg_id
                ):
                    break
            if reply["content"]["status"] != "ok":
                raise RuntimeError(
                    f"cell {index} failed: {reply['content'].get('ename')}: "
                    f"{reply['content'].get('evalue')}"
                )
    finally:
        socket.close()
        session.delete(f"{server}/api/kernels/{kernel_id}", headers=headers, timeout=60)


def rss_mib(pids) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def memory_in_use_mib() -> float:
    info = dict(
        (line.split(":")[0], int(line.split()[1]))
        for line in Path("/proc/meminfo").read_text().splitlines()
    )
    return (info["MemTotal"] - info["MemAvailable"]) / 1024


def percentile(values, p) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=20)
    parser.add_argument("--lesson", default="04_proactive/03_readings_to_events")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root: the benchmark creates system users for its learners")
    cells = lesson_cells(args.lesson)
    suffix = secrets.token_hex(3)
    learners_group, instructors_group = f"scb{suffix}-l", f"scb{suffix}-i"
    names = {f"scb{suffix}{i:02d}": [learners_group] for i in range(args.learners)}
    tmp = Path(tempfile.mkdtemp(prefix="bench-hub-"))
    os.chmod(tmp, 0o755)
    course = tmp / "project" / "autograde"
    course.mkdir(parents=True)
    shutil.copy(kit.REPO / "autograde" / "nbgrader_config.py", course / "nbgrader_config.py")
    (course / "source").symlink_to(kit.REPO / "modules")
    baseline_in_use = memory_in_use_mib()
    print(
        f"{args.learners} learners, lesson {args.lesson} ({len(cells)} code cells); load "
        f"average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; memory in use before "
        f"{baseline_in_use:,.0f} MiB"
    )
    try:
        with (
            kit.groups_and_users([learners_group, instructors_group], names) as accounts,
            kit.running_hub(tmp, course, learners_group, instructors_group) as hub,
        ):
            peaks = {"hub_tree": 0.0, "in_use": 0.0}
            done = threading.Event()

            def sample():
                while not done.is_set():
                    try:
                        tree = [pid for pid, _started in hub.descendants()]
                        peaks["hub_tree"] = max(peaks["hub_tree"], rss_mib(tree))
                        peaks["in_use"] = max(peaks["in_use"], memory_in_use_mib())
                    except (OSError, ValueError):  # a process ended while it was read
                        pass
                    done.wait(0.5)

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()

            def learner(account):
                started = time.monotonic()
                figures = {"name": account.name}
                try:
                    session = kit.log_in(hub.url, account)
                    server = kit.open_server(session, hub.url, account.name, timeout=600)
                    figures["ready"] = time.monotonic() - started
                    lesson_start = time.monotonic()
                    run_cells(session, server, account.name, cells)
                    figures["lesson"] = time.monotonic() - lesson_start
                except Exception as error:  # noqa: BLE001 - counted and printed below
                    figures["error"] = f"{type(error).__name__}: {str(error)[:160]}"
                return figures

            began = time.monotonic()
            with ThreadPoolExecutor(max_workers=args.learners) as pool:
                results = list(pool.map(learner, accounts.values()))
            total = time.monotonic() - began
            done.set()
            sampler.join()
    finally:
        log = tmp / "hub.log"
        if log.exists():
            shutil.copy(log, Path(tempfile.gettempdir()) / "bench_hub_load.log")
        shutil.rmtree(tmp, ignore_errors=True)

    ready = [r["ready"] for r in results if "ready" in r]
    lesson = [r["lesson"] for r in results if "lesson" in r]
    errors = [r["error"] for r in results if "error" in r]
    print(
        f"ready server: {len(ready)}/{len(results)}, p50 {percentile(ready, 50):.1f} s, "
        f"p95 {percentile(ready, 95):.1f} s, max {max(ready, default=float('nan')):.1f} s "
        "(from the login request)"
    )
    print(
        f"lesson run:   {len(lesson)}/{len(results)}, p50 {percentile(lesson, 50):.1f} s, "
        f"p95 {percentile(lesson, 95):.1f} s, max {max(lesson, default=float('nan')):.1f} s; "
        f"all learners done in {total:.0f} s"
    )
    print(f"errors: {len(errors)} (the hub's log: {tempfile.gettempdir()}/bench_hub_load.log)")
    for error in sorted(set(errors)):
        print(f"  {errors.count(error)} x {error}")
    print(
        f"peak memory: hub and everything under it {peaks['hub_tree']:,.0f} MiB "
        f"({peaks['hub_tree'] / max(len(results), 1):,.0f} MiB a learner); machine in use "
        f"{peaks['in_use']:,.0f} MiB ({peaks['in_use'] - baseline_in_use:+,.0f} MiB); load "
        f"average after {os.getloadavg()[0]:.1f}"
    )
    if statistics.median(lesson or [0]) and ready:
        print(
            "mean ready time "
            f"{statistics.fmean(ready):.1f} s, mean lesson {statistics.fmean(lesson):.1f} s"
        )


if __name__ == "__main__":
    main()
