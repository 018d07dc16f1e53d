"""Memory and CPU limits per learner: one cgroup per learner's server, cgroup v1 or v2.

JupyterHub's LocalProcessSpawner has ``mem_limit`` and ``cpu_limit`` but does not enforce them
(its docstring says so). The kernel does, through cgroups: every process of a learner's server
(the server, its kernels, anything they start) joins the learner's cgroup before it runs the
learner's code, so the limits hold for all of them and the hub can find and stop every one.

Two kernel interfaces exist (https://docs.kernel.org/admin-guide/cgroup-v1/ and
https://docs.kernel.org/admin-guide/cgroup-v2.html): v1 has one hierarchy per controller
(``memory``, ``cpu``); v2 one unified hierarchy in which a cgroup with processes may not hand
controllers to children ("no internal processes"), so the hub first moves its own processes
into a leaf. Under systemd that needs ``Delegate=yes`` in the unit (hub/systemd/).
"""

from __future__ import annotations

import os
import re
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from ..paths import CourseError

LEARNERS_GROUP = "servicecourse-learners"  # the cgroup that holds one cgroup per learner
HUB_LEAF = "hub"  # v2: where the hub's own processes go, beside the learners'
CPU_PERIOD_US = 100_000
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


class LimitsError(CourseError):
    """Limits were asked for and cannot be applied; the message says how to fix or turn off."""


TURN_OFF = (
    "Run the hub with the provided systemd unit (hub/systemd/servicecourse-hub.service, "
    "Delegate=yes) or as root on a machine with the memory and cpu controllers, or turn "
    "limits off explicitly with `servicecourse hub --no-limits`."
)


def parse_size(text: str | int) -> int:
    """'2G', '512M', '1.5G' or a number of bytes, as JupyterHub's mem_limit accepts."""
    if isinstance(text, int):
        return text
    match = _SIZE.match(str(text))
    if not match:
        raise CourseError(f"memory limit {text!r} is not a size such as 2G or 512M")
    return int(float(match.group(1)) * _UNITS[match.group(2).upper()])


@dataclass(frozen=True)
class Mount:
    """One cgroup file system: where it is mounted and which part of the hierarchy it shows."""

    point: Path
    root: str  # the hierarchy path mounted at ``point`` ("/" unless in a namespace)
    version: int
    controllers: frozenset[str]


def read_mounts(mountinfo: Path = Path("/proc/self/mountinfo")) -> list[Mount]:
    """cgroup mounts from mountinfo (man 5 proc: fields, then " - ", type, source, options)."""
    mounts = []
    for line in mountinfo.read_text().splitlines():
        before, _, after = line.partition(" - ")
        fields, tail = before.split(), after.split()
        if len(fields) < 5 or len(tail) < 3 or tail[0] not in ("cgroup", "cgroup2"):
            continue
        point = Path(fields[4].replace("\\040", " "))
        if tail[0] == "cgroup2":
            available = point / "cgroup.controllers"
            names = available.read_text().split() if available.exists() else []
            mounts.append(Mount(point, fields[3], 2, frozenset(names)))
        else:
            options = set(tail[2].split(","))
            mounts.append(Mount(point, fields[3], 1, frozenset(options & {"memory", "cpu"})))
    return mounts


def own_cgroups(proc_cgroup: Path = Path("/proc/self/cgroup")) -> dict[str, str]:
    """This process's cgroup per v1 controller, and under "" its v2 cgroup."""
    found = {}
    for line in proc_cgroup.read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if not controllers:
            found[""] = path
        for name in controllers.split(","):
            if name in ("memory", "cpu"):
                found[name] = path
    return found


def _inside(mount: Mount, path: str) -> Path:
    relative = os.path.relpath(path, mount.root) if mount.root != "/" else path.lstrip("/")
    if relative.startswith(".."):
        raise LimitsError(f"this process's cgroup {path} is outside the mount at {mount.point}")
    return mount.point / relative if relative != "." else mount.point


def _write(path: Path, value: str) -> None:
    try:
        path.write_text(value)
    except OSError as err:
        raise LimitsError(f"cannot write {value!r} to {path} ({err.strerror}). {TURN_OFF}") from err


class Cgroups:
    """A learner's cgroup(s): create with limits, join, list, stop, remove.

    ``bases`` are the folders that hold one folder per learner: for v1 one per controller
    (memory, cpu), for v2 one.
    """

    def __init__(self, version: int, bases: list[Path]):
        self.version = version
        self.bases = [Path(base) for base in bases]

    # -- the description the hub passes to its child processes --------------------------------
    def describe(self) -> str:
        return f"v{self.version}:" + os.pathsep.join(str(b) for b in self.bases)

    @classmethod
    def from_description(cls, text: str) -> Cgroups:
        version, _, bases = text.partition(":")
        return cls(int(version.lstrip("v")), [Path(b) for b in bases.split(os.pathsep)])

    # -- one learner ---------------------------------------------------------------------------
    def folders(self, user: str) -> list[Path]:
        if not re.fullmatch(r"[A-Za-z0-9_.@-]+", user) or user in (".", ".."):
            raise LimitsError(f"{user!r} cannot name a cgroup")
        return [base / user for base in self.bases]

    def create(self, user: str, memory_bytes: int, cpus: float) -> list[Path]:
        """The learner's cgroup with its limits; an existing one is reused and re-limited."""
        folders = self.folders(user)
        for folder in folders:
            folder.mkdir(exist_ok=True)
        quota = max(1000, int(cpus * CPU_PERIOD_US))
        if self.version == 1:
            memory, cpu = folders
            _write(memory / "memory.limit_in_bytes", str(memory_bytes))
            if (memory / "memory.memsw.limit_in_bytes").exists():
                # memory plus swap: the same, so a learner cannot spill into swap instead
                _write(memory / "memory.memsw.limit_in_bytes", str(memory_bytes))
            _write(cpu / "cpu.cfs_period_us", str(CPU_PERIOD_US))
            _write(cpu / "cpu.cfs_quota_us", str(quota))
        else:
            (folder,) = folders
            _write(folder / "memory.max", str(memory_bytes))
            if (folder / "memory.swap.max").exists():
                _write(folder / "memory.swap.max", "0")
            _write(folder / "cpu.max", f"{quota} {CPU_PERIOD_US}")
        return folders

    def limits(self, user: str) -> tuple[int, float]:
        """(memory bytes, CPUs) as the kernel holds them for the learner."""
        folders = self.folders(user)
        if self.version == 1:
            memory = int((folders[0] / "memory.limit_in_bytes").read_text())
            quota = int((folders[1] / "cpu.cfs_quota_us").read_text())
            period = int((folders[1] / "cpu.cfs_period_us").read_text())
        else:
            memory = int((folders[0] / "memory.max").read_text())
            quota, period = (int(x) for x in (folders[0] / "cpu.max").read_text().split())
        return memory, quota / period

    def enter(self, user: str, pid: int | None = None) -> None:
        """Move a process (default: this one) into the learner's cgroup(s)."""
        for folder in self.folders(user):
            _write(folder / "cgroup.procs", str(pid or os.getpid()))

    def pids(self, user: str) -> set[int]:
        found: set[int] = set()
        for folder in self.folders(user):
            procs = folder / "cgroup.procs"
            if procs.exists():
                found |= {int(p) for p in procs.read_text().split()}
        return found

    def users(self) -> list[str]:
        names = set()
        for base in self.bases:
            if base.is_dir():
                names |= {p.name for p in base.iterdir() if (p / "cgroup.procs").exists()}
        return sorted(names)

    def stop(self, user: str, timeout: float = 5.0) -> None:
        """Kill every process left in the learner's cgroup, then remove it."""
        deadline = time.monotonic() + timeout
        while True:
            pids = self.pids(user)
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            if time.monotonic() > deadline:
                raise LimitsError(f"processes {sorted(pids)} of {user} survived SIGKILL")
            time.sleep(0.05)
        for folder in self.folders(user):
            if folder.exists():
                try:
                    folder.rmdir()
                except OSError:
                    time.sleep(0.1)  # the kernel may still be releasing the last process
                    folder.rmdir()

    def stop_all(self) -> list[str]:
        stopped = self.users()
        for user in stopped:
            self.stop(user)
        return stopped

    def remove(self) -> None:
        """Remove the (empty) learners' folders: the hub has stopped."""
        for base in self.bases:
            try:
                base.rmdir()
            except OSError:
                pass  # a v2 parent the service manager removes with the service


def prepare(
    mountinfo: Path = Path("/proc/self/mountinfo"),
    proc_cgroup: Path = Path("/proc/self/cgroup"),
) -> Cgroups:
    """Find the cgroup hierarchy this process may use and make the learners' folder in it.

    v1 (memory and cpu hierarchies): a folder below this process's cgroup in each. v2: if this
    process's cgroup is the root, a folder below it; else (a systemd service with Delegate=yes)
    the processes of the service's cgroup move into its leaf ``hub`` and the controllers are
    handed down to the learners' folder beside it. Raises LimitsError with what to do.
    """
    mounts = read_mounts(mountinfo)
    own = own_cgroups(proc_cgroup)
    v1 = {c: m for m in mounts if m.version == 1 for c in m.controllers}
    if "memory" in v1 and "cpu" in v1 and "memory" in own and "cpu" in own:
        bases = []
        for controller in ("memory", "cpu"):
            base = _inside(v1[controller], own[controller]) / LEARNERS_GROUP
            _make(base)
            bases.append(base)
        return Cgroups(1, bases)
    unified = next((m for m in mounts if m.version == 2), None)
    if unified is None or "" not in own:
        raise LimitsError(f"no cgroup hierarchy with the memory and cpu controllers. {TURN_OFF}")
    missing = {"memory", "cpu"} - unified.controllers
    if missing:
        raise LimitsError(
            f"the cgroup v2 hierarchy at {unified.point} lacks the {', '.join(sorted(missing))} "
            f"controller(s). {TURN_OFF}"
        )
    mine = _inside(unified, own[""])
    if mine.name == HUB_LEAF and (mine.parent / LEARNERS_GROUP).is_dir():
        mine = mine.parent  # prepared before, by the process that started this one
    controllers = set((mine / "cgroup.controllers").read_text().split())
    if not {"memory", "cpu"} <= controllers:
        raise LimitsError(
            f"this process's cgroup {mine} was not given the memory and cpu controllers "
            f"(it has: {' '.join(sorted(controllers)) or 'none'}). {TURN_OFF}"
        )
    if mine != unified.point:
        leaf = mine / HUB_LEAF
        _make(leaf)
        for pid in (mine / "cgroup.procs").read_text().split():
            try:
                _write(leaf / "cgroup.procs", pid)
            except LimitsError:
                if Path(f"/proc/{pid}").exists():
                    raise
    _write(mine / "cgroup.subtree_control", "+memory +cpu")
    base = mine / LEARNERS_GROUP
    _make(base)
    _write(base / "cgroup.subtree_control", "+memory +cpu")
    return Cgroups(2, [base])


def _make(folder: Path) -> None:
    try:
        folder.mkdir(exist_ok=True)
    except OSError as err:
        raise LimitsError(
            f"cannot create the cgroup {folder} ({err.strerror}). {TURN_OFF}"
        ) from err
