"""Capacity of a course hub: what one learner costs. Prints figures and writes capacity.json.

Measured, one thing at a time (so that memory is not disturbed by our own other runs):

1. **Every lesson** of every module, as a learner who has answered it runs it top to bottom in a
   fresh kernel of the course's environment: the source notebook without its hidden tests
   (nbgrader's ``ClearHiddenTests``), run by nbclient in a fresh ``python3`` kernel whose
   working folder is a copy of the module's folder. Sampled every 50 ms: the resident memory
   (RSS) of the kernel and its children; also the kernel's own high-water mark (``VmHWM``,
   exact), its CPU seconds (user + system, children included) and its RSS when the lesson is
   done (what an open, idle notebook keeps). The heaviest lesson of each module is the one with
   the highest peak.
2. **Every dashboard** in plain Voila (no preheated kernels: the kernel starts for the page), as
   a learner opens it and moves a control three times (``tests/kit/dashboard_load.py``, which
   does on the wire what the page does): peak RSS of Voila and its kernel, and of the kernel.
3. **An idle single-user server**: ``jupyterhub-singleuser`` as KubeSpawner or the hub's local
   spawner run it (JupyterLab, nbgrader's learner extensions, nbgitpuller, Voila's extension),
   with the formgrader off, once it answers and has settled.

The machine is shared with other work: memory does not depend on load, CPU *seconds* barely do,
wall time does (printed with the load average, never used for sizing). ``derive_sizing`` turns
the figures into the sizing table and the per-learner Helm guarantees and limits;
``hub/kubernetes/values.yaml`` holds them and ``tests/test_hub_kubernetes.py`` recomputes them
from the committed ``benchmarks/capacity.json``.

Run with `.venv/bin/python benchmarks/bench_capacity.py [--modules 01_intro ...]
[--skip-lessons] [--skip-dashboards] [--skip-server] [--no-write]`; `--sizing` only prints the
sizing derived from the committed capacity.json, `--markdown` its tables for the instructors'
guide. A full run takes about 15 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import psutil

CAPACITY_JSON = Path(__file__).resolve().with_name("capacity.json")
MB = 2**20
SAMPLE_SECONDS = 0.05
LESSON_CELL_TIMEOUT = 600
DASHBOARD_MOVES = 3

# -- the sizing model: every assumption is a named number -------------------------------------
SERVER_CORES = 2
SERVER_MEMORY_GIB = 24
# Kept free of learners: the OS, the kubelet or systemd, and the file cache (1.5 GiB); the hub,
# the proxy and the idle culler (0.5 GiB; JupyterHub holds about 150-250 MB with a class).
RESERVED_OS_MIB = 1536
RESERVED_HUB_MIB = 512
# Half the class has a server running at the same time; the culler stops the others' servers.
CONCURRENCY = 0.5
# An active learner: the single-user server, the lesson's kernel (at the heaviest lesson's peak)
# and one dashboard's kernel. A second lesson kernel that stays open (JupyterLab keeps a kernel
# when its tab closes) is what the limit adds on top, so it never kills a learner's kernel
# for running the heaviest lesson twice.
# CPU: a learner runs a lesson in about LESSON_MINUTES and every cell RERUNS times on average;
# the server should stay below CPU_TARGET of its cores on average so that a cell is not
# queued behind many others. No learner may take more than CPU_LIMIT cores.
LESSON_MINUTES = 30
RERUNS = 2.0
CPU_TARGET = 0.7
CPU_LIMIT = 1.0
MEMORY_STEP_MIB = 64  # guarantees and limits are rounded up to this
# User placeholders keep room for a tenth of what a server holds, so that the next learners to
# arrive start on a node that is already running while the autoscaler adds another.
PLACEHOLDER_SHARE = 0.1


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


# -- measuring a process tree -------------------------------------------------------------------
def tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def tree_rss(pid: int) -> int:
    total = 0
    for proc in tree(pid):
        with contextlib.suppress(psutil.Error):
            total += proc.memory_info().rss
    return total


def tree_cpu_seconds(pid: int) -> float:
    """User + system seconds of the tree, with its children that have already exited."""
    total = 0.0
    for proc in tree(pid):
        with contextlib.suppress(psutil.Error):
            times = proc.cpu_times()
            total += times.user + times.system + times.children_user + times.children_system
    return total


def high_water_mark(pid: int) -> int:
    """The process's own peak RSS as the kernel counts it (``VmHWM``), in bytes."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


class PeakSampler:
    """Samples a process tree's RSS in a thread; ``peak`` is the highest sum seen."""

    def __init__(self, pid: int, also: int | None = None):
        self.pid, self.also = pid, also
        self.peak = 0
        self.peak_also = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss(self.pid))
            if self.also:
                self.peak_also = max(self.peak_also, tree_rss(self.also))
            self._stop.wait(SAMPLE_SECONDS)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, tree_rss(self.pid))


def mib(value: float) -> float:
    return round(value / MB, 1)


# -- 1. lessons -----------------------------------------------------------------------------------
def learner_notebook(source: Path):
    """The lesson as a learner who answered every exercise has it: no hidden tests."""
    import nbformat
    from nbgrader.preprocessors import ClearHiddenTests

    nb = nbformat.read(source, as_version=4)
    nb, _ = ClearHiddenTests().preprocess(nb, {})
    return nb


def run_lesson(module_dir: Path, lesson: Path) -> dict:
    from jupyter_client import KernelManager
    from nbclient import NotebookClient

    nb = learner_notebook(lesson)
    with tempfile.TemporaryDirectory(prefix="bench-capacity-") as scratch:
        workdir = Path(scratch) / module_dir.name
        shutil.copytree(module_dir, workdir, ignore=shutil.ignore_patterns("variants", ".*"))
        manager = KernelManager(kernel_name="python3")
        load_before = load_average()
        started = time.perf_counter()
        manager.start_kernel(cwd=str(workdir), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        pid = manager.provisioner.process.pid
        error = None
        try:
            with PeakSampler(pid) as sampler:
                client = NotebookClient(
                    nb,
                    km=manager,
                    timeout=LESSON_CELL_TIMEOUT,
                    resources={"metadata": {"path": str(workdir)}},
                )
                try:
                    client.execute()
                except Exception as err:  # noqa: BLE001 - a failed lesson is a figure too
                    error = f"{type(err).__name__}: {str(err).strip().splitlines()[-1][:200]}"
            wall = time.perf_counter() - started
            cpu = tree_cpu_seconds(pid)
            kept = tree_rss(pid)
            hwm = high_water_mark(pid)
        finally:
            manager.shutdown_kernel(now=False)
    return {
        "module": module_dir.name,
        "lesson": lesson.name,
        "peak_rss_mib": mib(max(sampler.peak, hwm)),
        "kernel_high_water_mib": mib(hwm),
        "rss_when_done_mib": mib(kept),
        "cpu_seconds": round(cpu, 2),
        "wall_seconds": round(wall, 1),
        "load_average": [load_before, load_average()],
        **({"error": error} if error else {}),
    }


def measure_lessons(modules: list[str] | None) -> list[dict]:
    from servicecourse.paths import layout

    results = []
    chosen = [m for m in layout().all_modules() if not modules or m.name in modules]
    lessons = sum(len(m.lessons) for m in chosen)
    print(f"\n== {lessons} lessons of {len(chosen)} modules, each in a fresh kernel ({load()})")
    print(f"  {'lesson':<58}{'peak MiB':>9}{'done MiB':>9}{'CPU s':>8}{'wall s':>8}  load")
    for module in chosen:
        for lesson in module.lessons:
            got = run_lesson(module.path, lesson)
            results.append(got)
            name = f"{module.name}/{lesson.stem}"[:57]
            print(
                f"  {name:<58}{got['peak_rss_mib']:9.0f}{got['rss_when_done_mib']:9.0f}"
                f"{got['cpu_seconds']:8.1f}{got['wall_seconds']:8.1f}  "
                f"{got['load_average'][0]:.1f}-{got['load_average'][1]:.1f}"
                + (f"  FAILED {got['error']}" if "error" in got else "")
            )
    return results


def heaviest_lessons(lessons: list[dict]) -> dict[str, dict]:
    """Per module, the lesson with the highest peak memory (failed runs never count)."""
    heaviest: dict[str, dict] = {}
    for got in lessons:
        if "error" in got:
            continue
        best = heaviest.get(got["module"])
        if best is None or got["peak_rss_mib"] > best["peak_rss_mib"]:
            heaviest[got["module"]] = got
    return heaviest


# -- 2. dashboards ------------------------------------------------------------------------------
def measure_dashboards() -> list[dict]:
    from servicecourse.classroom import dashboards, server, staging

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from kit import dashboard_load

    found = dashboards.find_dashboards()
    print(f"\n== {len(found)} dashboards in plain Voila, one learner each ({load()})")
    print(f"  {'dashboard':<52}{'Voila+kernel':>13}{'kernel':>8}{'CPU s':>7}  result")
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-capacity-voila-") as scratch:
        site = Path(scratch) / "site"
        staging.stage(site, classroom=False)
        for dashboard in found:
            port = server.free_port()
            url = f"http://127.0.0.1:{port}/"
            log = open(Path(scratch) / "voila.log", "a")  # noqa: SIM115 - closed below
            child = server.start_voila(
                site, port, classroom=False, stdout=log, stderr=subprocess.STDOUT
            )
            try:
                server.wait_until_serving(url, child)
                time.sleep(2.0)
                before_rss = tree_rss(child.pid)
                before_cpu = tree_cpu_seconds(child.pid)
                load_before = load_average()
                with PeakSampler(child.pid) as sampler:
                    kernel_peak = KernelPeak(child.pid)
                    with kernel_peak:
                        session = asyncio.run(
                            dashboard_load.learner(url, dashboard.url_path, DASHBOARD_MOVES, 180)
                        )
                cpu = tree_cpu_seconds(child.pid) - before_cpu
            finally:
                server.stop_voila(child)
                log.close()
            ok = session.complete(DASHBOARD_MOVES)
            got = {
                "dashboard": dashboard.staged_name,
                "voila_idle_mib": mib(before_rss),
                "peak_rss_mib": mib(sampler.peak),
                "kernel_peak_rss_mib": mib(kernel_peak.peak),
                "cpu_seconds": round(cpu, 2),
                "render_seconds": round(session.render or 0, 2),
                "load_average": [load_before, load_average()],
                **({} if ok else {"error": "; ".join(session.errors)[:300] or "incomplete"}),
            }
            results.append(got)
            print(
                f"  {dashboard.staged_name[:51]:<52}{got['peak_rss_mib']:13.0f}"
                f"{got['kernel_peak_rss_mib']:8.0f}{got['cpu_seconds']:7.1f}  "
                + ("ok" if ok else f"FAILED {got['error']}")
            )
    return results


class KernelPeak:
    """Peak RSS of the kernels (children) of a Voila process, sampled like ``PeakSampler``."""

    def __init__(self, voila_pid: int):
        self.voila_pid = voila_pid
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            total = 0
            for proc in tree(self.voila_pid)[1:]:
                with contextlib.suppress(psutil.Error):
                    total += proc.memory_info().rss
            self.peak = max(self.peak, total)
            self._stop.wait(SAMPLE_SECONDS)

    def __enter__(self) -> KernelPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


# -- 3. an idle single-user server -------------------------------------------------------------
HUB_CONFIG = """
c = get_config()  # noqa: F821
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.JupyterHub.db_url = "sqlite:///{folder}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{folder}/cookie_secret"
c.JupyterHub.pid_file = "{folder}/jupyterhub.pid"
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api_port}"
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allowed_users = {{"{user}"}}
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = "{folder}/home/{{username}}"
c.Spawner.cmd = [{singleuser!r}]
c.Spawner.args = {args!r}
c.Spawner.env_keep = ["PATH", "LANG", "LC_ALL"]
c.JupyterHub.services = [{{"name": "capacity", "api_token": "{token}"}}]
c.JupyterHub.load_roles = [{{
    "name": "capacity",
    "scopes": ["admin:users", "admin:servers", "access:servers"],
    "services": ["capacity"],
}}]
"""


def _call(url: str, token: str, method: str = "GET", timeout: float = 10) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url, method=method, headers={"Authorization": f"token {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def _wait(what: str, ready, child: subprocess.Popen, log: Path, timeout: float = 120) -> float:
    started = time.perf_counter()
    while True:
        if child.poll() is not None:
            raise RuntimeError(f"jupyterhub exited ({child.returncode}): {log.read_text()[-2000:]}")
        with contextlib.suppress(OSError):
            if ready():
                return time.perf_counter() - started
        if time.perf_counter() - started > timeout:
            raise RuntimeError(f"{what} not ready in {timeout:.0f} s: {log.read_text()[-2000:]}")
        time.sleep(0.3)


def measure_singleuser(settle_seconds: float = 15.0) -> dict:
    """A real JupyterHub (dummy login, local process spawner) starts a learner's server:
    ``jupyterhub-singleuser`` exactly as a spawner runs it, formgrader off. Measured once it
    answers, after JupyterLab's page was served once and it settled. The hub and its proxy are
    measured too (what the hub reserve holds)."""
    from servicecourse.classroom import server
    from servicecourse.classroom.learn import INSTRUCTOR_EXTENSIONS

    bin_dir = Path(sys.executable).parent
    proxy = (
        Path(__file__).resolve().parents[1] / "node_modules" / ".bin" / "configurable-http-proxy"
    )
    if not proxy.exists():
        raise RuntimeError(f"{proxy} is missing: run `npm ci` (or `make deps`) first")
    args = []
    for name in INSTRUCTOR_EXTENSIONS:
        args += ["--ServerApp.jpserver_extensions", f"{name}=False"]
    if os.geteuid() == 0:
        args.append("--allow-root")
    user, token = "capacity-learner", secrets.token_hex(16)
    ports = [server.free_port() for _ in range(3)]
    print(f"\n== An idle single-user server (jupyterhub-singleuser) ({load()})")
    with tempfile.TemporaryDirectory(prefix="bench-capacity-hub-") as folder:
        config = Path(folder) / "jupyterhub_config.py"
        config.write_text(
            HUB_CONFIG.format(
                port=ports[0],
                hub_port=ports[1],
                proxy_api_port=ports[2],
                folder=folder,
                proxy=str(proxy),
                user=user,
                singleuser=str(bin_dir / "jupyterhub-singleuser"),
                args=args,
                token=token,
            )
        )
        log = Path(folder) / "jupyterhub.log"
        env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
        with open(log, "w") as out:
            hub = subprocess.Popen(
                [str(bin_dir / "jupyterhub"), "-f", str(config)],
                cwd=folder,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        base = f"http://127.0.0.1:{ports[0]}"
        api = f"{base}/hub/api"
        try:
            _wait("the hub", lambda: _call(f"{api}/", token)[0] == 200, hub, log)
            _call(f"{api}/users/{user}", token, "POST")
            started = time.perf_counter()
            _call(f"{api}/users/{user}/server", token, "POST", timeout=120)
            _wait(
                "the server",
                lambda: _call(f"{base}/user/{user}/api/status", token)[0] == 200,
                hub,
                log,
            )
            ready = time.perf_counter() - started
            status, page = _call(f"{base}/user/{user}/lab", token)
            if status != 200 or b"jupyter-config-data" not in page:
                raise RuntimeError(f"JupyterLab's page did not load ({status})")
            time.sleep(settle_seconds)
            spawned = [
                proc
                for proc in psutil.Process(hub.pid).children(recursive=True)
                if "jupyterhub-singleuser" in " ".join(proc.cmdline())
            ]
            if len(spawned) != 1:
                raise RuntimeError(f"expected one single-user server, found {len(spawned)}")
            pid = spawned[0].pid
            hub_only = sum(
                proc.memory_info().rss
                for proc in [psutil.Process(hub.pid), *psutil.Process(hub.pid).children(True)]
                if proc.pid != pid and proc not in psutil.Process(pid).children(True)
            )
            got = {
                "rss_mib": mib(tree_rss(pid)),
                "uss_mib": mib(psutil.Process(pid).memory_full_info().uss),
                "high_water_mib": mib(high_water_mark(pid)),
                "cpu_seconds_to_ready": round(tree_cpu_seconds(pid), 2),
                "ready_seconds": round(ready, 1),
                "hub_and_proxy_rss_mib": mib(hub_only),
                "load_average": load_average(),
            }
            _call(f"{api}/users/{user}/server", token, "DELETE")
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.kill(hub.pid, signal.SIGTERM)
            try:
                hub.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(hub.pid, signal.SIGKILL)
                hub.wait()
    print(
        f"  ready after {got['ready_seconds']} s; idle {got['rss_mib']:.0f} MiB resident "
        f"({got['uss_mib']:.0f} MiB unique, peak {got['high_water_mib']:.0f} MiB); "
        f"{got['cpu_seconds_to_ready']} CPU s to start; hub + proxy "
        f"{got['hub_and_proxy_rss_mib']:.0f} MiB; load {got['load_average']}"
    )
    return got


# -- sizing ------------------------------------------------------------------------------------
def round_up(value: float, step: float) -> float:
    return math.ceil(value / step - 1e-9) * step


def derive_sizing(measured: dict) -> dict:
    """The sizing table and the per-learner guarantees and limits, from the measured figures.

    Pure: ``tests/test_hub_kubernetes.py`` recomputes it from capacity.json and compares it with
    hub/kubernetes/values.yaml.
    """
    lessons = [got for got in measured.get("lessons", []) if "error" not in got]
    dashboards = [got for got in measured.get("dashboards", []) if "error" not in got]
    if not lessons or not dashboards or "singleuser" not in measured:
        raise ValueError(
            "capacity.json lacks lessons, dashboards or the single-user server: run "
            "benchmarks/bench_capacity.py without --skip-* options"
        )
    server_mib = measured["singleuser"]["rss_mib"]
    heaviest = max(got["peak_rss_mib"] for got in lessons)
    dashboard_kernel = max(got["kernel_peak_rss_mib"] for got in dashboards)
    active_mib = server_mib + heaviest + dashboard_kernel
    guarantee_mib = round_up(active_mib, MEMORY_STEP_MIB)
    limit_mib = round_up(active_mib + heaviest, MEMORY_STEP_MIB)

    # CPU: the heaviest lesson's CPU seconds, RERUNS times over LESSON_MINUTES, plus a dashboard.
    lesson_cpu = max(got["cpu_seconds"] for got in lessons)
    dashboard_cpu = max(got["cpu_seconds"] for got in dashboards)
    mean_cores = (lesson_cpu * RERUNS + dashboard_cpu) / (LESSON_MINUTES * 60)
    cpu_guarantee = max(0.05, round_up(mean_cores, 0.05))

    free_mib = SERVER_MEMORY_GIB * 1024 - RESERVED_OS_MIB - RESERVED_HUB_MIB
    by_memory = math.floor(free_mib / guarantee_mib)
    by_cpu = math.floor(SERVER_CORES * CPU_TARGET / mean_cores)
    running = min(by_memory, by_cpu)
    return {
        "assumptions": {
            "server": f"{SERVER_CORES} cores, {SERVER_MEMORY_GIB} GiB",
            "reserved_os_mib": RESERVED_OS_MIB,
            "reserved_hub_mib": RESERVED_HUB_MIB,
            "concurrency": CONCURRENCY,
            "active_learner": "single-user server + heaviest lesson's kernel at its peak + "
            "one dashboard kernel at its peak",
            "lesson_minutes": LESSON_MINUTES,
            "reruns": RERUNS,
            "cpu_target": CPU_TARGET,
        },
        "server_mib": server_mib,
        "heaviest_lesson_mib": heaviest,
        "dashboard_kernel_mib": dashboard_kernel,
        "active_learner_mib": round(active_mib, 1),
        "mean_cores_per_active_learner": round(mean_cores, 4),
        "running_servers_by_memory": by_memory,
        "running_servers_by_cpu": by_cpu,
        "running_servers": running,
        "class_size": math.floor(running / CONCURRENCY),
        "helm": {
            "memory_guarantee": f"{guarantee_mib:.0f}M",
            "memory_limit": f"{limit_mib:.0f}M",
            "cpu_guarantee": round(cpu_guarantee, 2),
            "cpu_limit": CPU_LIMIT,
            "user_placeholders": max(1, math.ceil(running * PLACEHOLDER_SHARE)),
        },
    }


def print_sizing(sizing: dict) -> None:
    helm = sizing["helm"]
    print("\n== Sizing (derived; assumptions in capacity.json's sizing.assumptions)")
    print(
        f"  active learner: server {sizing['server_mib']:.0f} + heaviest lesson "
        f"{sizing['heaviest_lesson_mib']:.0f} + dashboard kernel "
        f"{sizing['dashboard_kernel_mib']:.0f} = {sizing['active_learner_mib']:.0f} MiB; "
        f"{sizing['mean_cores_per_active_learner']:.3f} cores on average"
    )
    print(
        f"  per {SERVER_CORES}-core/{SERVER_MEMORY_GIB} GiB server: {sizing['running_servers']} "
        f"running servers (memory allows {sizing['running_servers_by_memory']}, CPU "
        f"{sizing['running_servers_by_cpu']}), a class of {sizing['class_size']} at "
        f"{CONCURRENCY:.0%} concurrency"
    )
    print(
        f"  Helm: memory guarantee {helm['memory_guarantee']}, limit {helm['memory_limit']}; "
        f"cpu guarantee {helm['cpu_guarantee']}, limit {helm['cpu_limit']}; "
        f"{helm['user_placeholders']} user placeholder(s)"
    )


def sizing_markdown(measured: dict) -> str:
    """The sizing section's tables for the instructors' guide, from the measured figures."""
    sizing = derive_sizing(measured)
    helm = sizing["helm"]
    heaviest = heaviest_lessons(measured["lessons"])
    lines = [
        "| module | heaviest lesson | peak memory | CPU |",
        "|---|---|---|---|",
    ]
    for module, got in sorted(heaviest.items()):
        lines.append(
            f"| {module} | {got['lesson'].removesuffix('.ipynb')} | "
            f"{got['peak_rss_mib']:.0f} MiB | {got['cpu_seconds']:.1f} s |"
        )
    dashboards = measured["dashboards"]
    server = measured["singleuser"]
    lines += [
        "",
        "| what | peak memory | CPU |",
        "|---|---|---|",
        f"| idle single-user server (`jupyterhub-singleuser`, JupyterLab) | "
        f"{server['rss_mib']:.0f} MiB | {server['cpu_seconds_to_ready']:.1f} s to start |",
        f"| a dashboard's kernel (largest of {len(dashboards)}, page + 3 widget moves) | "
        f"{sizing['dashboard_kernel_mib']:.0f} MiB | "
        f"{max(d['cpu_seconds'] for d in dashboards):.1f} s |",
        f"| Voila with that kernel (a learner's own Voila) | "
        f"{max(d['peak_rss_mib'] for d in dashboards):.0f} MiB | |",
        "",
        f"| per {SERVER_CORES}-core / {SERVER_MEMORY_GIB} GiB server | |",
        "|---|---|",
        f"| an active learner (server + heaviest lesson + dashboard) | "
        f"{sizing['active_learner_mib']:.0f} MiB, {sizing['mean_cores_per_active_learner']:.3f}"
        " cores on average |",
        f"| running servers (memory allows {sizing['running_servers_by_memory']}, CPU "
        f"{sizing['running_servers_by_cpu']}) | **{sizing['running_servers']}** |",
        f"| learners at {CONCURRENCY:.0%} concurrency | **{sizing['class_size']}** |",
        "",
        "| Helm (`singleuser.…`, per learner) | guarantee | limit |",
        "|---|---|---|",
        f"| memory | {helm['memory_guarantee']} | {helm['memory_limit']} |",
        f"| cpu | {helm['cpu_guarantee']} | {helm['cpu_limit']} |",
        f"| user placeholders (`scheduling.userPlaceholder.replicas`) | "
        f"{helm['user_placeholders']} | |",
    ]
    return "\n".join(lines)


# -- main -----------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", nargs="+", help="only these modules' lessons")
    parser.add_argument("--skip-lessons", action="store_true")
    parser.add_argument("--skip-dashboards", action="store_true")
    parser.add_argument("--skip-server", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="do not write capacity.json")
    parser.add_argument(
        "--sizing", action="store_true", help="only print the sizing of the committed figures"
    )
    parser.add_argument(
        "--markdown", action="store_true", help="only print the sizing tables as markdown"
    )
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    if args.sizing or args.markdown:
        committed = json.loads(CAPACITY_JSON.read_text())
        print(sizing_markdown(committed) if args.markdown else "", end="")
        if args.sizing:
            print_sizing(derive_sizing(committed))
        return
    previous = json.loads(CAPACITY_JSON.read_text()) if CAPACITY_JSON.exists() else {}
    measured = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "note": "shared with other work: memory is the main figure; CPU in seconds",
        },
    }
    if not args.skip_lessons:
        measured["lessons"] = measure_lessons(args.modules)
        if args.modules:  # keep the other modules' earlier figures
            kept = [got for got in previous.get("lessons", []) if got["module"] not in args.modules]
            measured["lessons"] = sorted(
                kept + measured["lessons"], key=lambda got: (got["module"], got["lesson"])
            )
        heaviest = heaviest_lessons(measured["lessons"])
        measured["heaviest_lessons"] = {m: got["lesson"] for m, got in sorted(heaviest.items())}
        print("\n  heaviest lesson of each module (peak MiB, CPU s):")
        for module, got in sorted(heaviest.items()):
            print(f"    {module}: {got['lesson']} {got['peak_rss_mib']:.0f} MiB, "
                  f"{got['cpu_seconds']:.1f} s")  # fmt: skip
    elif "lessons" in previous:
        measured["lessons"] = previous["lessons"]
        measured["heaviest_lessons"] = previous.get("heaviest_lessons", {})
    if not args.skip_dashboards:
        measured["dashboards"] = measure_dashboards()
    elif "dashboards" in previous:
        measured["dashboards"] = previous["dashboards"]
    if not args.skip_server:
        measured["singleuser"] = measure_singleuser()
    elif "singleuser" in previous:
        measured["singleuser"] = previous["singleuser"]
    try:
        measured["sizing"] = derive_sizing(measured)
        print_sizing(measured["sizing"])
    except ValueError as err:
        print(f"\nno sizing: {err}")
    if not args.no_write:
        CAPACITY_JSON.write_text(json.dumps(measured, indent=1, ensure_ascii=False) + "\n")
        print(f"\nwritten {CAPACITY_JSON}")


if __name__ == "__main__":
    main()
