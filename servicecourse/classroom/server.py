"""Serving the classroom dashboards: Voila on loopback, started, watched and stopped.

For a class, Voila keeps ``DEFAULTS.dashboards_pool_size`` kernels per dashboard started with
the notebook already run ("preheated"), so a click shows the dashboard without waiting for
Python to start; the pool refills after each click, one kernel at a time so that refills never
starve the learners' widgets (``pool.py``). A class that opens one dashboard together needs as
many kernels ready for it as there are learners: ``serve(preheat=["NAME=N"])``
(``--preheat NAME=N``). Kernels nobody is connected to are culled after ``CULL_IDLE_TIMEOUT``
seconds idle, and at most ``MAX_KERNELS`` serve learners at once.

A page draws its widgets and figure in 2-3 s on a busy 2-core machine, against 9-14 s with
plain Voila (benchmarks/bench_dashboards.py): a preheated kernel, plotly's widget code as a
static file that the page loads and runs while it boots, with the cartesian plotly.js in place
of the full one (``kernel.py``, ``widget_code.py``), and no jupyterlab-plotly extension.

``serve`` stops Voila and its kernels on Ctrl-C and on SIGTERM alike, leaving no process behind.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterable
from pathlib import Path

from ..paths import DEFAULTS, CourseError, layout
from .dashboards import find_dashboards, preheat_sizes
from .kernel import TEMPLATE_NAME
from .staging import stage, template_root, write_landing_page
from .thumbnails import THUMBNAILS, thumbnail_is_current, write_thumbnails

# Voila loads every JupyterLab extension of the venv. nbgrader's has nothing to do in a
# dashboard, and Notebook 7's fails to load in Voila 0.5 (a console error on every page).
DENIED_EXTENSIONS = ("@jupyter/nbgrader", "@jupyter-notebook/lab-extension")
# The classroom also denies jupyterlab-plotly: it renders static plotly figures (``fig.show()``)
# and is 4.8 MB of JavaScript that every page would load and compile before drawing anything.
# Dashboards draw with ``go.FigureWidget`` (anywidget), which does not need it; a test refuses
# a dashboard that shows a static plotly figure.
CLASSROOM_DENIED_EXTENSIONS = ("jupyterlab-plotly",)

# Kernels kept preheated per dashboard (``DEFAULTS.dashboards_pool_size``, 2): two learners (or
# the teacher and one learner) can open a dashboard at once, and a reload finds a kernel ready.
# One idle kernel holds about 130 MB of its own (170 MB resident), and every one of them is
# started (and its notebook run, 3-5 s of CPU) when the server starts. A burst of clicks beyond
# the pool waits for refills, 4-10 s each on 2 cores (see benchmarks/bench_dashboards.py), so a
# class that opens a dashboard together gets ``--preheat NAME=N`` with N its size.
#
# Seconds before a pool is refilled after a click, so that the refill does not compete with the
# page being drawn (on a teacher's laptop the projector's browser shares the CPUs with Voila).
FILL_DELAY = 5.0
# A kernel no browser has been connected to for this long (a closed tab: Voila 0.5 cannot tell
# the server, see pool.py; a crashed laptop) is shut down. Open tabs keep their kernel.
CULL_IDLE_TIMEOUT = 600
CULL_INTERVAL = 60
# Most kernels serving learners at once (preheated ones not counted); then a readable refusal.
MAX_KERNELS = 40

# The kernel manager Voila loads (``pool.py``), named rather than imported: importing it loads
# Voila, which only the Voila process needs.
KERNEL_MANAGER = f"{__package__}.pool.CappedKernelManager"


def voila_command(
    site: Path,
    port: int,
    open_browser: bool,
    *,
    classroom: bool = True,
    pool_size: int = DEFAULTS.dashboards_pool_size,
    pool_sizes: dict[str, int] | None = None,
) -> list[str]:
    """The Voila command line; ``classroom=False`` gives plain Voila (for the benchmark).

    ``pool_sizes``: preheated kernels for particular dashboards (staged file name: kernels).
    """
    manager = KERNEL_MANAGER.rpartition(".")[2]
    command = [
        str(Path(sys.executable).parent / "voila"),
        str(site),
        "--Voila.ip=127.0.0.1",
        f"--Voila.port={port}",
        # Voila would silently move to another port, and the printed addresses would be wrong.
        "--Voila.port_retries=0",
        f"--Voila.open_browser={open_browser}",
        f"--VoilaConfiguration.template={TEMPLATE_NAME}",
        "--VoilaConfiguration.classic_tree=True",
        "--VoilaConfiguration.show_tracebacks=True",
    ]
    denied = DENIED_EXTENSIONS + (CLASSROOM_DENIED_EXTENSIONS if classroom else ())
    for name in denied:
        command.append(f"--VoilaConfiguration.extension_denylist={name}")
    if classroom:
        command += [
            "--VoilaConfiguration.preheat_kernel=True",
            f"--VoilaConfiguration.default_pool_size={pool_size}",
            f"--VoilaKernelManager.fill_delay={FILL_DELAY}",
            f"--VoilaConfiguration.multi_kernel_manager_class={KERNEL_MANAGER}",
            f"--{manager}.max_kernels={MAX_KERNELS}",
            f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE_TIMEOUT}",
            f"--MappingKernelManager.cull_interval={CULL_INTERVAL}",
            "--MappingKernelManager.cull_connected=False",
        ]
        for name, size in (pool_sizes or {}).items():
            command.append(f"--{manager}.pool_sizes={name}={size}")
    return command


def voila_env(site: Path) -> dict[str, str]:
    """Voila's environment: the venv's tools first, and the landing page's template."""
    bin_dir = str(Path(sys.executable).parent)
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    extra = [str(template_root(site)), env.get("JUPYTER_PATH", "")]
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in extra if p)
    return env


def start_voila(
    site: Path,
    port: int,
    *,
    open_browser: bool = False,
    classroom: bool = True,
    pool_size: int = DEFAULTS.dashboards_pool_size,
    pool_sizes: dict[str, int] | None = None,
    **popen,
) -> subprocess.Popen:
    """Voila on the staged folder, in its own process (the caller stops it)."""
    command = voila_command(
        site, port, open_browser, classroom=classroom, pool_size=pool_size, pool_sizes=pool_sizes
    )
    return subprocess.Popen(command, cwd=site, env=voila_env(site), **popen)


def stop_voila(child: subprocess.Popen, timeout: float = 20) -> None:
    """SIGTERM makes Voila shut its kernels down; SIGKILL only if it hangs."""
    if child.poll() is None:
        child.terminate()
    try:
        child.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def wait_until_serving(url: str, child: subprocess.Popen | None = None, timeout: float = 90):
    """Return once ``url`` answers 200; raise CourseError if Voila exits or never answers."""
    deadline = time.monotonic() + timeout
    while True:
        if child is not None and child.poll() is not None:
            raise CourseError(f"Voila exited with code {child.returncode} before serving {url}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise CourseError(f"Voila did not answer at {url} within {timeout:.0f} s")
        time.sleep(0.3)


def free_port() -> int:
    """A loopback port nobody listens on (for tests, benchmarks and thumbnails)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _check_port(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as err:
            raise CourseError(
                f"port {port} on 127.0.0.1 is already in use ({err.strerror}); another server "
                f"(perhaps an earlier `servicecourse dashboards`) is running there. Stop it, or "
                f"choose another port with --port, e.g. --port {port + 1}"
            ) from err


def _thumbnails_in_background(url: str, site: Path, child: subprocess.Popen) -> None:
    """Make the missing thumbnails once Voila serves, then refresh the gallery."""
    try:
        wait_until_serving(url, child)
        made = write_thumbnails(url, site)
    except Exception as err:  # noqa: BLE001 - a gallery without pictures still works
        print(f"(thumbnails for the landing page were not made: {err})", flush=True)
        return
    if made:
        write_landing_page(site)
        print(f"Made {len(made)} thumbnail(s) for the landing page in {site / THUMBNAILS}")


def serve(
    port: int = DEFAULTS.dashboards_port,
    open_browser: bool = False,
    thumbnails: bool = True,
    pool_size: int = DEFAULTS.dashboards_pool_size,
    preheat: Iterable[str] = (),
) -> None:
    """Stage the dashboards and run Voila on loopback until Ctrl-C (or SIGTERM).

    ``thumbnails``: make the gallery's missing thumbnails in the background once Voila serves.
    ``pool_size``: kernels kept preheated per dashboard.
    ``preheat``: ``"NAME=N"`` items, N kernels ready for one dashboard (a class opening it at
    once); see ``dashboards.preheat_sizes``.
    """
    site = layout().dashboards_site
    _check_port(port)
    dashboards = find_dashboards()
    pool_sizes = preheat_sizes(preheat, dashboards)
    stage(site)
    address = f"http://127.0.0.1:{port}/"
    print(f"Voila serves {len(dashboards)} dashboard(s) at {address}  (Ctrl-C stops it)")
    for dashboard in dashboards:
        print(f"  {dashboard.module:<16} {dashboard.title}")
        print(f"  {'':<16} {address}{dashboard.url_path}")
    ready = sum(pool_sizes.get(d.staged_name, pool_size) for d in dashboards)
    print(
        f"Keeping {ready} kernel(s) ready ({pool_size} per dashboard"
        + "".join(f", {n} for {name}" for name, n in pool_sizes.items())
        + f"), about 130 MB each; at most {MAX_KERNELS} learners at once."
    )
    if not pool_sizes:
        print(
            "For a class that opens one dashboard together, keep a kernel ready for each "
            "learner: --preheat NAME=CLASS_SIZE (NAME as in the addresses above)."
        )
    sys.stdout.flush()

    child = start_voila(
        site, port, open_browser=open_browser, pool_size=pool_size, pool_sizes=pool_sizes
    )
    if thumbnails and not all(thumbnail_is_current(site, d) for d in dashboards):
        threading.Thread(
            target=_thumbnails_in_background, args=(address, site, child), daemon=True
        ).start()
    main_thread = threading.current_thread() is threading.main_thread()
    # `kill` then stops it like Ctrl-C does, instead of leaving Voila and its kernels behind.
    previous = signal.signal(signal.SIGTERM, _interrupt) if main_thread else None
    try:
        code = child.wait()
    except KeyboardInterrupt:
        # SIGTERM makes Voila shut its kernels down; after a Ctrl-C it is harmless.
        stop_voila(child)
        print("Voila stopped.")
        return
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)
    if code != 0:
        raise CourseError(f"Voila exited with code {code}; its messages above say why")


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def remake_thumbnails(log=print) -> list[Path]:
    """Stage, run the course's Voila on a free loopback port, screenshot every dashboard."""
    site = layout().dashboards_site
    stage(site)
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    child = start_voila(site, port, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_serving(url, child)
        made = write_thumbnails(url, site, only_missing=False)
    finally:
        stop_voila(child)
    write_landing_page(site)
    for path in made:
        log(f"thumbnail: {path}")
    log(
        "The landing page of `servicecourse dashboards` shows them: "
        f"http://127.0.0.1:{DEFAULTS.dashboards_port}/"
    )
    return made
