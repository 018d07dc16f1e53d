"""`servicecourse hub`: prepare the server, run JupyterHub until SIGTERM, leave nothing behind.

Preparing is idempotent and runs at every start: the state folder, the exchange, the Jupyter
configuration of each role, the course's files closed to learners, and a check that a learner
can run the course's Python at all. Then JupyterHub runs as a child. On SIGTERM (what systemd
sends) or Ctrl-C the hub is asked to stop (it stops the learners' servers, the culler and the
proxy); whatever is still running after that, in the learners' cgroups or carrying this run's
marker, is killed, so no process outlives the command.
"""

from __future__ import annotations

import grp
import json
import os
import secrets
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

from ..paths import CourseError, CourseLayout, layout
from . import limits
from .config import (
    CGROUPS_ENV,
    EXCHANGE_ENV,
    MARKER_ENV,
    SETTINGS_ENV,
    HubSettings,
    course_id,
    environment_bin,
)
from .spawner import INSTRUCTOR, LEARNER, kill_all, processes_marked

HUB_CONFIG = Path(__file__).resolve().parents[2] / "hub" / "jupyterhub_config.py"
# What learners may read of the install: the environment, the learner's toolbox, the data.
# Everything else (sources with solutions, the grading course, the book's executed lessons,
# git) is closed to them; so are the package's rooms for instructors (CourseLayout.TOOLING_ROOMS).
LEARNER_READABLE = (".venv", "servicecourse", "datasets", "pyproject.toml", "LICENSE", "README.md")
NOBODY = 65534
STOP_SECONDS = 60
# nbgrader's exchange layout for a course shared by several instructors ("groupshared"): the
# inbound is write-only for learners (they cannot list others' submissions), feedback is
# reachable only by the hashed names nbgrader gives each learner.
EXCHANGE_MODES = {"": 0o2775, "outbound": 0o2775, "inbound": 0o2773, "feedback": 0o2771}
# Kernels talk to their server over Unix sockets in the user's own runtime folder, not TCP on
# loopback: a TCP port is picked before the kernel binds it, and with a class starting kernels
# at once on one machine another user's kernel can take it ("Address already in use", seen in
# benchmarks/bench_hub_load.py); nor is a learner's kernel a port that others can reach.
KERNELS_ON_UNIX_SOCKETS = {"KernelManager": {"transport": "ipc"}}
LEARNER_SERVER_CONFIG = {
    "ServerApp": {
        "jpserver_extensions": {
            "nbgrader.server_extensions.formgrader": False,
            "nbgrader.server_extensions.course_list": False,
        }
    },
    **KERNELS_ON_UNIX_SOCKETS,
}
LEARNER_LAB_CONFIG = {
    "disabledExtensions": {
        "@jupyter/nbgrader:formgrader": True,
        "@jupyter/nbgrader:course-list": True,
        "@jupyter/nbgrader:create-assignment": True,
    }
}


def group_id(name: str, role: str) -> int:
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        raise CourseError(
            f"the {role} group {name!r} does not exist: create it (`groupadd {name}`) and add "
            f"the {role} to it (`usermod -aG {name} USER`), or name another with --{role}-group"
        ) from None


def _write(path: Path, text: str, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.chmod(path, mode)


def learner_nbgrader_config(settings: HubSettings, course: str) -> str:
    """Learners submit the lessons nbgitpuller brought: ~/STUDENT_FOLDER/_pages/MODULE; until
    they open a lesson from the book, nbgrader works in their home (nbgrader reads this file
    at every request, so the switch needs no restart)."""
    pages = layout().pages.name
    return (
        "# Written by `servicecourse hub` (servicecourse/hub/service.py) at every start.\n"
        "import os\n\n"
        "c = get_config()  # noqa: F821\n"
        f"c.CourseDirectory.course_id = {course!r}\n"
        "c.CourseDirectory.groupshared = True\n"
        f"c.Exchange.root = {str(settings.exchange)!r}\n"
        "c.Exchange.path_includes_course = False\n"
        "home = os.path.expanduser('~')\n"
        f"pulled = os.path.join(home, {settings.student_folder!r}, {pages!r})\n"
        "c.Exchange.assignment_dir = pulled if os.path.isdir(pulled) else home\n"
    )


def instructor_nbgrader_config(settings: HubSettings) -> str:
    """Instructors work on the course itself (formgrader, `servicecourse autograde`)."""
    return (
        "# Written by `servicecourse hub` (servicecourse/hub/service.py) at every start.\n"
        "c = get_config()  # noqa: F821\n"
        f"load_subconfig('nbgrader_config.py', path={str(settings.course)!r})  # noqa: F821\n"
        "c.CourseDirectory.groupshared = True\n"
        f"c.Exchange.root = {str(settings.exchange)!r}\n"
    )


def write_role_configs(settings: HubSettings, course: str) -> None:
    base = settings.jupyter_config
    base.mkdir(parents=True, exist_ok=True)
    os.chmod(base, 0o755)
    learner, instructor = base / LEARNER, base / INSTRUCTOR
    _write(learner / "nbgrader_config.py", learner_nbgrader_config(settings, course), 0o644)
    _write(learner / "jupyter_server_config.json", json.dumps(LEARNER_SERVER_CONFIG), 0o644)
    _write(learner / "labconfig" / "page_config.json", json.dumps(LEARNER_LAB_CONFIG), 0o644)
    _write(instructor / "nbgrader_config.py", instructor_nbgrader_config(settings), 0o644)
    _write(instructor / "jupyter_server_config.json", json.dumps(KERNELS_ON_UNIX_SOCKETS), 0o644)
    for folder in (learner, learner / "labconfig", instructor):
        os.chmod(folder, 0o755)


def prepare_exchange(settings: HubSettings, course: str, instructors: int) -> Path:
    """Root owns the exchange; instructors (group) publish and collect; learners submit."""
    root = settings.exchange
    root.mkdir(parents=True, exist_ok=True)
    os.chown(root, 0, 0)
    os.chmod(root, 0o755)  # learners cannot create a course of their own in it
    course_dir = root / course
    for name, mode in EXCHANGE_MODES.items():
        folder = course_dir / name if name else course_dir
        folder.mkdir(exist_ok=True)
        os.chown(folder, 0, instructors)
        os.chmod(folder, mode)
    return course_dir


def _close(path: Path, gid: int, shared: bool = False) -> None:
    """Others lose every right on PATH; the instructors' group may read it. SHARED (the
    course): everything in it too, writable by the group, new files in the group (setgid).
    Links are never followed."""
    if path.is_symlink() or not path.exists():
        return
    os.lchown(path, -1, gid)
    mode = stat.S_IMODE(path.stat().st_mode) & ~0o007
    if shared:
        mode |= 0o2070 if path.is_dir() else 0o060
    else:
        mode |= (mode & 0o500) >> 3  # the owner's read and execute rights
    os.chmod(path, mode)


def _close_tree(root: Path, gid: int) -> None:
    _close(root, gid, shared=True)
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            _close(Path(folder) / name, gid, shared=True)


def close_to_learners(install: Path, course: Path, instructors: int) -> list[Path]:
    """What learners must not read: the install's sources and tooling, and the course."""
    closed = []
    for entry in sorted(install.iterdir()):
        if entry.name not in LEARNER_READABLE:
            _close(entry, instructors)
            closed.append(entry)
    for room in CourseLayout.TOOLING_ROOMS:
        entry = install / "servicecourse" / room
        _close(entry, instructors)
        closed.append(entry)
    _close_tree(course, instructors)
    closed.append(course)
    # Learners pass through the install to reach the environment, but cannot list it.
    os.chmod(install, (stat.S_IMODE(install.stat().st_mode) & ~0o006) | 0o001)
    return closed


_PROBE = """
import json, os, sys
paths = json.loads(sys.argv[1])
found = {}
try:
    import jupyterhub.singleuser, nbgitpuller, nbgrader, servicecourse.datasets
    found["runs"] = True
except Exception as err:
    found["runs"] = f"{type(err).__name__}: {err}"
def opens(path):
    try:
        open(path, "rb").close()
        return True
    except OSError:
        return False
found["secrets read"] = [p for p in paths["secret"] if opens(p)]
found["unreadable"] = [p for p in paths["readable"] if not opens(p)]
found["unwritable"] = [p for p in paths["writable"] if not os.access(p, os.W_OK | os.X_OK)]
print(json.dumps(found))
"""


def _blocked_at(path: Path) -> Path | None:
    """The first folder on PATH that other users cannot pass through."""
    for parent in reversed(path.parents):
        if not stat.S_IMODE(parent.stat().st_mode) & 0o001:
            return parent
    return None


def check_learners_can_run(
    secret: list[Path], readable: list[Path] = (), writable: list[Path] = ()
) -> None:
    """As an unprivileged user (nobody): the course's Python runs, the learner's configuration
    opens, the exchange's inbound takes submissions, and the secrets do not open."""
    paths = {"secret": secret, "readable": readable, "writable": writable}
    python = environment_bin() / "python"

    def become_nobody():
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)

    try:
        done = subprocess.run(
            [
                str(python),
                "-c",
                _PROBE,
                json.dumps({k: list(map(str, v)) for k, v in paths.items()}),
            ],
            preexec_fn=become_nobody,
            cwd="/",
            env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"},
            capture_output=True,
            text=True,
        )
    except PermissionError as err:
        done = subprocess.CompletedProcess(err.filename, 126, "", str(err))
    found = json.loads(done.stdout) if done.returncode == 0 and done.stdout else None
    if found is None or found["runs"] is not True:
        interpreter = python.resolve()
        blocked = _blocked_at(interpreter) or _blocked_at(Path(sys.prefix).resolve() / "lib")
        reason = (
            f"{blocked} is mode {stat.S_IMODE(blocked.stat().st_mode):04o}, so they cannot reach "
            f"{interpreter}"
            if blocked
            else (found or {}).get("runs") or done.stderr.strip()[-500:] or "unknown"
        )
        raise CourseError(
            f"learners cannot run the course's Python environment: {reason}. Install the course "
            "where every user can read it, e.g. /opt/servicecourse with a system Python "
            "(python3 -m venv .venv), as the instructors' guide shows"
        )
    if found["secrets read"]:
        raise CourseError(
            f"learners could read the course's sources: {', '.join(found['secrets read'])}"
        )
    for problem, what in (("unreadable", "read"), ("unwritable", "write into")):
        if found[problem]:
            raise CourseError(
                f"learners cannot {what} {', '.join(found[problem])}: every folder above it "
                "must let other users pass (o+x); choose --state-dir and --exchange outside "
                "private folders"
            )


def prepare(settings: HubSettings, log=print) -> None:
    """Everything the hub needs on this machine; safe to repeat at every start."""
    if os.geteuid() != 0:
        raise CourseError(
            "the hub runs each learner's server as that learner: run it as root (the systemd "
            "unit hub/systemd/servicecourse-hub.service does)"
        )
    instructors = group_id(settings.instructors_group, "instructors")
    group_id(settings.learners_group, "learners")
    if not settings.course.joinpath("nbgrader_config.py").exists():
        raise CourseError(f"{settings.course} is not an nbgrader course (no nbgrader_config.py)")
    state = settings.state_dir
    state.mkdir(parents=True, exist_ok=True)
    os.chmod(state, 0o711)  # learners reach the role configurations in it, nothing else
    if not settings.proxy_token_file.exists():
        _write(settings.proxy_token_file, secrets.token_hex(32), 0o600)
    course = course_id(settings.course)
    write_role_configs(settings, course)
    exchange = prepare_exchange(settings, course, instructors)
    install = HUB_CONFIG.parents[1]  # the project whose package and environment run the hub
    closed = close_to_learners(install, settings.course, instructors)
    secret = [settings.course / "nbgrader_config.py"]
    secret += [p for p in (install / "modules").glob("*/*.ipynb")][:1]
    learner_config = settings.jupyter_config / LEARNER / "nbgrader_config.py"
    check_learners_can_run(secret, readable=[learner_config], writable=[exchange / "inbound"])
    log(f"state in {state}; exchange {exchange}; {len(closed)} path(s) closed to learners")


class _Stop(Exception):
    pass


def _raise_stop(signum, frame):
    raise _Stop(signal.Signals(signum).name)


def stop_hub(hub: subprocess.Popen, timeout: float = STOP_SECONDS) -> None:
    """SIGTERM makes JupyterHub stop the servers, the services and the proxy; SIGKILL if not."""
    if hub.poll() is None:
        hub.send_signal(signal.SIGTERM)
    try:
        hub.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        hub.kill()
        hub.wait()


def _describe(pid: int) -> str:
    try:
        return f"{pid} {Path(f'/proc/{pid}/comm').read_text().strip()}"
    except OSError:
        return str(pid)


def sweep(cgroups: limits.Cgroups | None, marker: str) -> list[str]:
    """Kill what the hub left: every process in a learner's cgroup or carrying the marker."""
    left = [_describe(pid) for pid in processes_marked(marker)]
    if cgroups is not None:
        for user in cgroups.users():
            left += [f"{_describe(pid)} ({user})" for pid in sorted(cgroups.pids(user))]
            cgroups.stop(user)
    for _ in range(50):
        alive = processes_marked(marker)
        if not alive:
            break
        kill_all(alive)
        time.sleep(0.1)
    if cgroups is not None:
        cgroups.remove()
    return sorted(set(left))


def run(settings: HubSettings, log=print) -> int:
    """Prepare, run JupyterHub until it exits or SIGTERM/Ctrl-C; returns its exit code."""
    prepare(settings, log)
    cgroups = limits.prepare() if settings.limits else None
    if cgroups is None:
        log("memory and CPU limits are OFF (--no-limits): one learner can starve the others")
    marker = secrets.token_hex(12)
    settings_file = settings.state_dir / "settings.json"
    _write(settings_file, settings.to_json(), 0o600)
    env = dict(os.environ)
    env.update(
        {
            SETTINGS_ENV: str(settings_file),
            MARKER_ENV: marker,
            EXCHANGE_ENV: str(settings.exchange),
            "PATH": os.pathsep.join([str(environment_bin()), env.get("PATH", "/usr/bin:/bin")]),
        }
    )
    if cgroups is not None:
        env[CGROUPS_ENV] = cgroups.describe()
    hub_command = [str(environment_bin() / "jupyterhub"), "-f", str(HUB_CONFIG)]
    log(f"JupyterHub at {settings.url} (state {settings.state_dir}); SIGTERM or Ctrl-C stops it")
    previous = {s: signal.signal(s, _raise_stop) for s in (signal.SIGTERM, signal.SIGINT)}
    hub = None
    try:
        hub = subprocess.Popen(hub_command, cwd=settings.state_dir, env=env)
        code = hub.wait()
        if code != 0:
            log(f"JupyterHub exited with code {code}; its log above says why")
        return code
    except _Stop as stop:
        log(f"{stop}: stopping the hub, the learners' servers, the culler and the proxy")
        for s in previous:
            signal.signal(s, signal.SIG_IGN)
        if hub is not None:
            stop_hub(hub)
        return 0
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if hub is not None and hub.poll() is None:
            stop_hub(hub)
        left = sweep(cgroups, marker)
        if left:
            log(f"killed {len(left)} process(es) the hub left behind: {', '.join(left)}")
        log("hub stopped")
