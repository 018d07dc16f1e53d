"""Run learners' code for grading behind walls: limits on time, memory and files, and a view
of the disk that holds only what the notebook needs.

Why: a submission is untrusted code. Without this, a cell could read the hidden tests (the
notebook being graded sits in the working folder with them restored), the source notebooks,
the gradebook or another learner's files, loop for ever or eat the machine's memory.

- :class:`SandboxedKernelManager` starts each grading kernel inside bubblewrap (Linux
  namespaces: no other process, no network (the kernel talks over Unix sockets), a private
  ``/tmp``, read-only system and Python folders) under
  ``prlimit`` (address space and file size limits).
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
import time
from pathlib import Path

import nbformat
from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import DeadKernelError
from nbclient.util import run_sync
from nbgrader.preprocessors import Execute
from traitlets import Bool, Integer, List, Unicode, default

from ..paths import CourseError, datasets_dir

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


def _system_binds() -> list[str]:
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
    return args + ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]


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
    hidden_files: list[str],
    own_network: bool = False,
) -> list[str]:
    """The kernel command wrapped in bubblewrap and prlimit."""
    args = [BWRAP, *_system_binds()]
    for path in readable:
        # Bound at the name the package uses and at the real place a symlink points to.
        for name in dict.fromkeys((path, os.path.realpath(path))):
            args += ["--ro-bind", os.path.realpath(path), name]
    # The learner's own folder is writable (a notebook may save a file), the notebooks in it
    # are not readable: the one being graded holds the hidden tests at this moment.
    args += ["--bind", workdir, workdir]
    for name in hidden_files:
        args += ["--ro-bind", "/dev/null", name]
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


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels start in the grading sandbox."""

    memory_mb = Integer(2048, help="address-space limit of a grading kernel, MiB").tag(config=True)
    file_size_mb = Integer(64, help="largest file a grading kernel may write, MiB").tag(config=True)
    readable = List(
        Unicode(), help="folders the kernel may read (default: Python, package, data)"
    ).tag(config=True)

    _home: str | None = None

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart and self._home:
            shutil.rmtree(self._home, ignore_errors=True)

    @default("transport")
    def _ipc_transport(self):
        # Unix sockets in a folder of this kernel's own, so the sandbox needs no network at all:
        # learner code cannot reach services on loopback (a gradebook server, a notebook server).
        return "ipc"

    async def _async_pre_start_kernel(self, **kw):
        if self.transport == "ipc" and not self.connection_file:
            self._home = tempfile.mkdtemp(prefix="servicecourse-kernel-")
            self.connection_file = os.path.join(self._home, "kernel.json")
            self.ip = os.path.join(self._home, "kernel-ipc")
        kernel_cmd, kw = await super()._async_pre_start_kernel(**kw)
        workdir = os.path.abspath(kw.get("cwd") or os.getcwd())
        hidden = [str(p) for p in Path(workdir).glob("*.ipynb")]
        kernel_cmd = sandbox_command(
            kernel_cmd,
            workdir=workdir,
            connection_file=self.connection_file,
            own_network=self.transport != "ipc",
            env=dict(kw.get("env") or os.environ),
            memory_mb=self.memory_mb,
            file_size_mb=self.file_size_mb,
            readable=list(self.readable) or readable_paths(),
            hidden_files=hidden,
        )
        # A class of kernels printing start-up banners would bury the progress bar.
        kw.setdefault("stdout", subprocess.DEVNULL)
        kw.setdefault("stderr", subprocess.DEVNULL)
        return kernel_cmd, kw


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
        return super().preprocess(nb, resources, km)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not cell.source.strip():
            return super().preprocess_cell(cell, resources, index)
        if time.monotonic() > self._deadline:
            cell.outputs = [
                _error(
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

    def _get_timeout(self, cell):
        timeout = super()._get_timeout(cell)
        remaining = max(1, int(self._deadline - time.monotonic()) + 1)
        return remaining if timeout is None else min(timeout, remaining)

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
        if self._timed_out:
            name, why = "CellTimeoutError", f"this cell ran longer than {self._timed_out} s"
        else:
            name = "KernelDied"
            why = (
                "the kernel stopped while running this cell "
                "(the code exited, crashed or ran out of memory)"
            )
        self._timed_out = None
        cell.outputs = [_error(name, f"{why}; the next cells ran in a new kernel")]

    async def _async_restart(self):
        await self.km.restart_kernel(now=True)
        await self.kc.wait_for_ready(timeout=self.startup_timeout)

    _restart = run_sync(_async_restart)


def _error(ename: str, message: str):
    return nbformat.v4.new_output(
        "error", ename=ename, evalue=message, traceback=[f"{ename}: {message}"]
    )
