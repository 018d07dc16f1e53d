"""Run learners' code for grading behind walls: limits on time, memory and files, and a view
of the disk that holds only what the notebook needs.

Why: a submission is untrusted code. Without this, a cell could read the hidden tests (the
notebook being graded sits in the working folder with them restored), the source notebooks,
the gradebook or another learner's files, loop for ever or eat the machine's memory.

- :class:`SandboxedKernelManager` starts each grading kernel inside bubblewrap (Linux
  namespaces: no other process, no network (the kernel talks over Unix sockets), read-only
  system and Python folders) under ``prlimit`` (address space and file size limits). Its
  working folder and ``/tmp`` are private, size-limited tmpfs mounts: nothing the kernel
  writes reaches the host (no file, no link for a later host-side step to follow), and a
  learner cannot fill the disk or take RAM beyond the limits. A watchdog stops a kernel that
  starts too many processes or creates too many files, with a note that says so.
- :class:`GuardedExecute` is nbgrader's Execute preprocessor that survives what hostile code
  does to a kernel: a cell that runs too long or kills its kernel is marked with a readable
  error, the kernel is restarted and the remaining cells are still graded, so each notebook
  gets the marks it earned; a notebook-wide time limit stops a notebook that times out cell
  after cell.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import psutil
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from nbclient.exceptions import DeadKernelError
from nbclient.util import run_sync
from nbgrader.preprocessors import Execute
from traitlets import Bool, HasTraits, Integer, List, Unicode, default

from ..paths import DEFAULTS, CourseError, datasets_dir

BWRAP = "bwrap"
PRLIMIT = "prlimit"

# Environment a grading kernel may see; everything else (tokens, database URLs) is dropped.
PASSED_ENV = ("LANG", "LC_ALL", "TZ", "SERVICECOURSE_ROOT", "NBGRADER_EXECUTION")
# Files of /etc that Python and its libraries read; the rest of /etc stays out.
ETC_FILES = (
    "/etc/ld.so.cache",
    "/etc/localtime",
    "/etc/passwd",
    "/etc/group",
    "/etc/nsswitch.conf",
    "/etc/hosts",
    "/etc/alternatives",
    "/etc/ssl",
    "/etc/fonts",
    "/etc/mime.types",
)


# jsonschema imports rfc3987_syntax when it is installed (jupyter-events pulls it in), and that
# compiles an IRI grammar for 1.5-2 s in every kernel that imports plotly or nbformat. Grading
# never validates IRIs, so grading kernels skip it (measured 1.6-2.0 s per kernel at load 3.5).
# No name is bound in the learner's namespace.
SKIP_SLOW_IMPORT = (
    "--IPKernelApp.exec_lines=__import__('sys').modules.setdefault('rfc3987_syntax', None)"
)


def sandbox_problem() -> str | None:
    """Why kernels cannot be sandboxed on this machine, or None when they can."""
    for tool, package in ((BWRAP, "bubblewrap"), (PRLIMIT, "util-linux")):
        if shutil.which(tool) is None:
            return (
                f"`{tool}` is not installed: install the Debian package {package} "
                f"(apt-get install {package}), or grade with --no-sandbox on a machine "
                "where only trusted code is graded"
            )
    probe = subprocess.run(
        [BWRAP, *_system_binds(), "--unshare-all", "--die-with-parent", "/bin/true"],
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0:
        return (
            "bubblewrap cannot create a sandbox here "
            f"({probe.stderr.strip() or 'exit ' + str(probe.returncode)}): enable unprivileged "
            "user namespaces (sysctl kernel.unprivileged_userns_clone=1) or run as root, or "
            "grade with --no-sandbox on a machine where only trusted code is graded"
        )
    return None


def require_sandbox() -> None:
    problem = sandbox_problem()
    if problem:
        raise CourseError(f"cannot sandbox the grading kernels: {problem}")


def _system_binds(tmp_mb: int = DEFAULTS.grading.disk_mb) -> list[str]:
    args: list[str] = ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib64", "/lib32"):
        path = Path(top)
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), top]
        elif path.is_dir():
            args += ["--ro-bind", top, top]
    for name in ETC_FILES:
        if os.path.exists(name):
            args += ["--ro-bind", name, name]
    tmp = ["--size", str(tmp_mb * 1024 * 1024), "--tmpfs", "/tmp"]
    return args + ["--proc", "/proc", "--dev", "/dev", *tmp]


def readable_paths() -> list[str]:
    """Folders a grading kernel may read: Python, the course package and the public datasets."""
    package = Path(__file__).resolve().parents[1]
    paths = {sys.base_prefix, sys.prefix, str(package), str(datasets_dir())}
    return sorted(p for p in paths if os.path.exists(p))


def sandbox_command(
    kernel_cmd: list[str],
    *,
    workdir: str,
    connection_file: str,
    env: dict[str, str],
    memory_mb: int,
    file_size_mb: int,
    readable: list[str],
    disk_mb: int = DEFAULTS.grading.disk_mb,
    own_network: bool = False,
) -> list[str]:
    """The kernel command wrapped in bubblewrap and prlimit."""
    args = [BWRAP, *_system_binds(disk_mb)]
    for path in readable:
        # Bound at the name the package uses and at the real place a symlink points to.
        for name in dict.fromkeys((path, os.path.realpath(path))):
            args += ["--ro-bind", os.path.realpath(path), name]
    # The working folder is an empty tmpfs at the learner's folder's name: a notebook may save
    # a file, but it never sees the notebooks there (hidden tests, the learner's uploads) and
    # nothing it writes is left on the host.
    args += ["--size", str(disk_mb * 1024 * 1024), "--tmpfs", workdir]
    if own_network:  # TCP kernels need the host's loopback
        args += ["--ro-bind", connection_file, connection_file]
        args += ["--chdir", workdir, "--unshare-all", "--share-net", "--die-with-parent"]
    else:  # IPC kernels: their sockets' folder, and no network namespace shared
        home = os.path.dirname(connection_file)
        args += ["--bind", home, home]
        args += ["--chdir", workdir, "--unshare-all", "--die-with-parent"]
    args += ["--clearenv"]
    python_bin = str(Path(sys.executable).parent)
    kernel_env = {
        "PATH": f"{python_bin}:/usr/local/bin:/usr/bin:/bin",
        "HOME": "/tmp",
        "MPLBACKEND": "Agg",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    kernel_env.update({k: v for k, v in env.items() if k in PASSED_ENV})
    for key, value in sorted(kernel_env.items()):
        args += ["--setenv", key, value]
    limits = [
        PRLIMIT,
        f"--as={memory_mb * 1024 * 1024}",
        f"--fsize={file_size_mb * 1024 * 1024}",
        "--core=0",
        "--",
    ]
    return args + ["--", *limits, *kernel_cmd]


class Watchdog:
    """Stops a sandboxed kernel that starts too many processes or creates too many files.

    Why a watchdog: as root, the process limit (RLIMIT_NPROC) does not apply, and tmpfs takes
    no limit on its number of files from bubblewrap. The sandbox's folders are read through
    ``/proc/<pid>/root``; a breach kills every process of the sandbox at once.
    """

    INTERVAL = 0.1

    def __init__(self, pid: int, folders: list[str], processes: int, files: int):
        self.pid, self.folders = pid, folders
        self.max_processes, self.max_files = processes, files
        self.reason: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _watch(self) -> None:
        try:
            sandbox = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self._stop.wait(self.INTERVAL):
            try:
                inside = sandbox.children(recursive=True)
            except psutil.Error:
                return
            if len(inside) > self.max_processes + 2:  # bwrap's own init and the kernel
                self._kill(
                    sandbox,
                    f"this notebook started more than {self.max_processes} processes",
                )
                return
            files = self._files(inside)
            if files > self.max_files:
                self._kill(sandbox, f"this notebook created more than {self.max_files} files")
                return

    def _files(self, inside: list) -> int:
        for process in inside[-1:]:
            total = 0
            for folder in self.folders:
                try:
                    stat = os.statvfs(f"/proc/{process.pid}/root{folder}")
                except OSError:
                    return 0
                total += stat.f_files - stat.f_ffree
            return total
        return 0

    def _kill(self, sandbox, reason: str) -> None:
        self.reason = reason
        try:
            victims = [sandbox, *sandbox.children(recursive=True)]
        except psutil.Error:
            victims = [sandbox]
        for victim in victims:
            try:
                victim.kill()
            except psutil.Error:
                pass


PROVISIONER = "servicecourse-sandbox"  # entry point in pyproject.toml


class SandboxLimits(HasTraits):
    """A grading kernel's limits: set on the manager, passed on to its provisioner."""

    limits = DEFAULTS.grading
    limits = DEFAULTS.grading
    memory_mb = Integer(limits.memory_mb, help="address-space limit of a kernel, MiB").tag(
        config=True
    )
    file_size_mb = Integer(limits.file_size_mb, help="largest file a kernel may write, MiB").tag(
        config=True
    )
    disk_mb = Integer(
        limits.disk_mb, help="size of the kernel's working folder and of its /tmp, MiB each"
    ).tag(config=True)
    max_processes = Integer(limits.processes, help="processes a kernel may start").tag(config=True)
    max_files = Integer(limits.files, help="files a kernel may create").tag(config=True)
    readable = List(
        Unicode(), help="folders the kernel may read (default: Python, package, data)"
    ).tag(config=True)

    def limit_values(self) -> dict:
        names = SandboxLimits.class_own_traits()
        return {
            name: list(v) if isinstance(v := getattr(self, name), list) else v for name in names
        }


class SandboxProvisioner(SandboxLimits, LocalProvisioner):
    """jupyter_client's local provisioner, launching the kernel inside the sandbox.

    The documented seam for how a kernel process starts: ``pre_launch`` wraps the command,
    ``launch_kernel`` starts the watchdog, ``cleanup`` removes the kernel's socket folder. The
    limits come from the kernel spec's provisioner config, which :class:`SandboxedKernelManager`
    fills from its own settings.
    """

    home: str | None = None
    workdir: str | None = None
    watchdog: Watchdog | None = None

    async def pre_launch(self, **kwargs):
        km = self.parent
        if km is not None and km.transport == "ipc" and not km.connection_file:
            # Unix sockets in a folder of this kernel's own: the sandbox needs no network.
            self.home = tempfile.mkdtemp(prefix="servicecourse-kernel-")
            km.connection_file = os.path.join(self.home, "kernel.json")
            km.ip = os.path.join(self.home, "kernel-ipc")
        kwargs = await super().pre_launch(**kwargs)
        self.workdir = os.path.abspath(kwargs.get("cwd") or os.getcwd())
        kwargs["cmd"] = sandbox_command(
            kwargs["cmd"],
            workdir=self.workdir,
            connection_file=km.connection_file,
            own_network=km.transport != "ipc",
            env=dict(kwargs.get("env") or os.environ),
            memory_mb=self.memory_mb,
            file_size_mb=self.file_size_mb,
            readable=list(self.readable) or readable_paths(),
            disk_mb=self.disk_mb,
        )
        # A class of kernels printing start-up banners would bury the progress bar.
        kwargs.setdefault("stdout", subprocess.DEVNULL)
        kwargs.setdefault("stderr", subprocess.DEVNULL)
        return kwargs

    async def launch_kernel(self, cmd, **kwargs):
        info = await super().launch_kernel(cmd, **kwargs)
        if self.watchdog is not None:
            self.watchdog.stop()
        if self.process is not None:
            self.watchdog = Watchdog(
                self.process.pid, [self.workdir, "/tmp"], self.max_processes, self.max_files
            )
        return info

    async def cleanup(self, restart: bool = False) -> None:
        await super().cleanup(restart=restart)
        if not restart:
            if self.watchdog is not None:
                self.watchdog.stop()
            if self.home:
                shutil.rmtree(self.home, ignore_errors=True)


class SandboxedKernelManager(SandboxLimits, AsyncKernelManager):
    """A kernel manager whose kernels start in the grading sandbox (:class:`SandboxProvisioner`)."""

    @default("transport")
    def _ipc_transport(self):
        # Learner code cannot reach services on loopback (a gradebook server, a notebook server).
        return "ipc"

    @property
    def kernel_spec(self):
        """The kernel's spec, naming the sandbox provisioner and this manager's limits."""
        spec = super().kernel_spec
        if (
            spec is not None
            and spec.metadata.get("kernel_provisioner", {}).get("provisioner_name") != PROVISIONER
        ):
            spec.metadata = {
                **spec.metadata,
                "kernel_provisioner": {
                    "provisioner_name": PROVISIONER,
                    "config": self.limit_values(),
                },
            }
        return spec

    def stop_reason(self) -> str | None:
        """Why the watchdog stopped the kernel, once (None when it did not)."""
        watchdog = getattr(self.provisioner, "watchdog", None)
        reason = watchdog.reason if watchdog else None
        if watchdog is not None:
            watchdog.reason = None
        return reason


class GuardedExecute(Execute):
    """nbgrader's Execute that grades the rest of a notebook after a cell kills or hangs it."""

    notebook_timeout = Integer(
        600, help="seconds a whole notebook may run; later cells are not run after that"
    ).tag(config=True)
    restart_on_timeout = Bool(True).tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        if SKIP_SLOW_IMPORT not in self.extra_arguments:
            self.extra_arguments = [*self.extra_arguments, SKIP_SLOW_IMPORT]
        self._deadline = time.monotonic() + self.notebook_timeout
        self._timed_out = None
        self.timeout_func = self._cell_timeout  # nbclient's hook for a cell's time limit
        return super().preprocess(nb, resources, km)

    def _cell_timeout(self, cell) -> int:
        """The cell limit, cut to what is left of the notebook's."""
        remaining = max(1, int(self._deadline - time.monotonic()) + 1)
        return remaining if self.timeout is None else min(self.timeout, remaining)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not cell.source.strip():
            return super().preprocess_cell(cell, resources, index)
        if time.monotonic() > self._deadline:
            cell.outputs = [
                error_output(
                    "NotebookTimeLimit",
                    f"not run: this notebook used up its time limit of {self.notebook_timeout} s",
                )
            ]
            return cell, resources
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self.log.warning("kernel stopped in cell %s; restarting it for the next cells", index)
            self._stopped_cell(cell)
            self._restart()
            return cell, resources

    # nbclient has no hook for what a timeout does beyond an interrupt (which code that catches
    # KeyboardInterrupt survives), so this one method of it is overridden.
    async def _async_handle_timeout(self, timeout, cell=None):
        if not self.restart_on_timeout:
            return await super()._async_handle_timeout(timeout, cell)
        # An interrupt does not stop code that catches KeyboardInterrupt; killing does. nbclient
        # then finds the kernel dead, and preprocess_cell restarts it for the next cells.
        self.log.error("cell ran over %s s; stopping its kernel", timeout)
        self._timed_out = timeout
        await self.km.signal_kernel(signal.SIGKILL)
        return None

    def _stopped_cell(self, cell):
        stop_reason = getattr(self.km, "stop_reason", lambda: None)()
        if stop_reason:
            name, why = "SandboxLimit", stop_reason
        elif self._timed_out:
            name, why = "CellTimeoutError", f"this cell ran longer than {self._timed_out} s"
        else:
            name = "KernelDied"
            why = (
                "the kernel stopped while running this cell "
                "(the code exited, crashed or ran out of memory)"
            )
        self._timed_out = None
        cell.outputs = [error_output(name, f"{why}; the next cells ran in a new kernel")]

    async def _async_restart(self):
        await self.km.restart_kernel(now=True)
        await self.kc.wait_for_ready(timeout=self.startup_timeout)

    _restart = run_sync(_async_restart)


def error_output(ename: str, message: str):
    return nbformat.v4.new_output(
        "error", ename=ename, evalue=message, traceback=[f"{ename}: {message}"]
    )
