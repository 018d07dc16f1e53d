"""Each learner's server: a local process run as the learner, inside the learner's cgroup.

JupyterHub's LocalProcessSpawner runs ``jupyterhub-singleuser`` as the system user; this
subclass adds what a course needs: the memory and CPU limits enforced by a cgroup that every
process of the server joins before it starts, a private home, private new files (umask 077),
the Jupyter configuration of the learner's role (learners: no formgrader; instructors: the
course), and a stop that leaves no process of the server behind.
"""

from __future__ import annotations

import grp
import os
import pwd
import signal
import stat

from jupyterhub.spawner import LocalProcessSpawner
from traitlets import Bool, Unicode

from .config import EXCHANGE_ENV, MARKER_ENV, environment_bin
from .limits import Cgroups, LimitsError, parse_size

LEARNER, INSTRUCTOR = "learner", "instructor"


def is_instructor(name: str, group: str) -> bool:
    """A member of the instructors' Unix group (listed, or as primary group)."""
    try:
        members = grp.getgrnam(group)
        account = pwd.getpwnam(name)
    except KeyError:
        return False
    return name in members.gr_mem or account.pw_gid == members.gr_gid


def processes_marked(marker: str, uid: int | None = None) -> list[int]:
    """Processes whose environment carries the hub run's marker (of one user, if given)."""
    if not marker:
        return []
    needle = f"{MARKER_ENV}={marker}".encode()
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if uid is not None and os.stat(entry.path).st_uid != uid:
                continue
            with open(os.path.join(entry.path, "environ"), "rb") as environ:
                if needle in environ.read().split(b"\0"):
                    found.append(int(entry.name))
        except OSError:
            continue  # gone, or a kernel thread
    return found


def kill_all(pids) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class CourseSpawner(LocalProcessSpawner):
    """LocalProcessSpawner with enforced limits, roles and a complete stop."""

    cgroups = Unicode("", help="the learners' cgroups (Cgroups.describe()); empty: none").tag(
        config=True
    )
    limits_required = Bool(True, help="refuse to start a server without its limits").tag(
        config=True
    )
    instructors_group = Unicode("servicecourse-instructors").tag(config=True)
    jupyter_config = Unicode(help="folder with one Jupyter configuration folder per role").tag(
        config=True
    )
    exchange = Unicode(help="nbgrader's exchange").tag(config=True)
    course_root = Unicode(help="the course project, for instructors' `servicecourse`").tag(
        config=True
    )
    run_marker = Unicode("", help="marks every process of this hub run").tag(config=True)

    @property
    def role(self) -> str:
        return INSTRUCTOR if is_instructor(self.user.name, self.instructors_group) else LEARNER

    def _cgroups(self) -> Cgroups | None:
        if not self.cgroups:
            if self.limits_required:
                raise LimitsError(
                    "memory and CPU limits are on but the hub has no cgroups for them: start "
                    "it with `servicecourse hub` (or turn limits off with --no-limits)"
                )
            return None
        return Cgroups.from_description(self.cgroups)

    def get_env(self):
        env = super().get_env()
        role = self.role
        system = ["/usr/local/bin", "/usr/bin", "/bin"]
        env["PATH"] = os.pathsep.join([str(environment_bin()), *system])
        # The role's configuration comes first; the user's own ~/.jupyter is not read.
        env["JUPYTER_CONFIG_PATH"] = os.path.join(self.jupyter_config, role)
        env["JUPYTERHUB_DISABLE_USER_CONFIG"] = "1"
        env.pop("PYTHONPATH", None)
        if role == INSTRUCTOR:
            env[EXCHANGE_ENV] = self.exchange
            env["SERVICECOURSE_ROOT"] = self.course_root
        if self.run_marker:
            env[MARKER_ENV] = self.run_marker
        return env

    def make_preexec_fn(self, name):
        become_user = super().make_preexec_fn(name)
        cgroups = self._cgroups()

        def preexec():
            # Before any of the learner's code runs: join the cgroup, keep new files private.
            if cgroups is not None:
                cgroups.enter(name)
            os.umask(0o077)
            become_user()

        return preexec

    async def start(self):
        account = pwd.getpwnam(self.user.name)
        home = account.pw_dir
        if os.path.isdir(home) and stat.S_IMODE(os.stat(home).st_mode) & 0o077:
            os.chmod(home, 0o700)  # Debian's useradd makes homes world-readable (HOME_MODE)
        cgroups = self._cgroups()
        if cgroups is not None:
            cgroups.create(self.user.name, parse_size(self.mem_limit or "2G"), self.cpu_limit or 1)
        if self.role == INSTRUCTOR:
            # nbgrader's formgrader works only on a course inside the server's root folder.
            self.notebook_dir = self.course_root
        return await super().start()

    async def stop(self, now=False):
        await super().stop(now=now)
        cgroups = self._cgroups()
        if cgroups is not None:
            cgroups.stop(self.user.name)  # kernels, terminals, anything a learner left running
        else:
            kill_all(processes_marked(self.run_marker, pwd.getpwnam(self.user.name).pw_uid))
