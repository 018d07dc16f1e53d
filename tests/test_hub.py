"""The course hub: its configuration, the learners' limits, the systemd units, and SIGTERM.

The limits and SIGTERM tests run on this machine's kernel as root: they make cgroups, system
users and a real hub, and remove them afterwards.
"""

from __future__ import annotations

import functools
import json
import os
import pwd
import secrets
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import copy_course
from kit import hub as kit
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from servicecourse.cli import parser
from servicecourse.hub import config as hub_config
from servicecourse.hub import limits, service
from servicecourse.hub.config import HubSettings
from servicecourse.hub.spawner import CourseSpawner
from servicecourse.paths import CourseError

UNITS = kit.REPO / "hub" / "systemd"
INSTALL = Path("/opt/servicecourse")  # where the units expect the course (the guide says so)
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="makes cgroups and users: needs root")


# -- configuration ---------------------------------------------------------------------------
@pytest.fixture
def settings(tmp_path) -> HubSettings:
    course = copy_course(tmp_path / "project" / "autograde")
    return HubSettings(
        port=18000, state_dir=tmp_path / "state", exchange=tmp_path / "x", course=course
    )


def test_configuration_is_the_course_hub(settings):
    c = Config()
    hub_config.configure(c, settings)
    assert c.JupyterHub.spawner_class is CourseSpawner
    assert c.JupyterHub.authenticator_class == "servicecourse.hub.authenticator.CourseAuthenticator"
    assert c.Authenticator.allowed_groups == {settings.learners_group, settings.instructors_group}
    assert c.JupyterHub.db_url == f"sqlite:///{settings.state_dir / 'jupyterhub.sqlite'}"
    assert Path(c.JupyterHub.cookie_secret_file).parent == settings.state_dir
    assert Path(c.ConfigurableHTTPProxy.command[0]).exists(), "configurable-http-proxy from npm"
    assert (c.JupyterHub.hub_port, c.ConfigurableHTTPProxy.api_url) == (
        18001,
        "http://127.0.0.1:18002",
    )
    assert c.JupyterHub.cleanup_servers is True
    (templates,) = c.JupyterHub.template_paths
    assert (Path(templates) / "page.html").exists(), "the hub's pages with accessible colours"
    assert (
        Path(c.Spawner.cmd[0]).name == "jupyterhub-singleuser" and Path(c.Spawner.cmd[0]).exists()
    )
    assert c.Spawner.default_url == "/lab"
    assert (c.Spawner.mem_limit, c.Spawner.cpu_limit) == ("2G", 1.0)
    (culler,) = c.JupyterHub.services
    assert culler["command"][1:3] == ["-m", "jupyterhub_idle_culler"]
    assert "--timeout=3600" in culler["command"]
    (role,) = c.JupyterHub.load_roles
    assert role["services"] == [culler["name"]] and "delete:servers" in role["scopes"]
    assert c.CourseSpawner.exchange == str(settings.exchange)
    assert c.CourseSpawner.course_root == str(settings.course.parent)


def test_moodle_settings_turn_on_lti_launches_whose_learners_join_the_learners_group(settings):
    lti = settings.but(
        lti_issuer="https://moodle.example.fi/",
        lti_client_id="Xy12",
        lti_deployment_ids=("3",),
    )
    c = Config()
    hub_config.configure(c, lti)
    login = c.CourseAuthenticator
    assert login.issuer == "https://moodle.example.fi"
    assert (login.client_id, login.deployment_ids) == ({"Xy12"}, {"3"})
    assert login.authorize_url == "https://moodle.example.fi/mod/lti/auth.php"
    assert login.jwks_endpoint == "https://moodle.example.fi/mod/lti/certs.php"
    assert login.grading_course == str(settings.course)
    assert login.create_system_users is True
    assert login.add_user_cmd[login.add_user_cmd.index("--groups") + 1] == lti.learners_group
    without = Config()
    hub_config.configure(without, settings)
    assert "issuer" not in without.CourseAuthenticator, "no Moodle settings: local login only"
    assert hub_config.HubSettings.from_json(lti.to_json()) == lti


def test_the_repository_config_file_loads_the_settings_it_is_given(settings, monkeypatch):
    settings_file = settings.state_dir / "settings.json"
    settings_file.parent.mkdir(parents=True)
    settings_file.write_text(settings.but(port=18100, memory="1500M").to_json())
    monkeypatch.setenv(hub_config.SETTINGS_ENV, str(settings_file))
    loaded = PyFileConfigLoader("jupyterhub_config.py", path=str(kit.REPO / "hub")).load_config()
    assert loaded.JupyterHub.port == 18100
    assert loaded.Spawner.mem_limit == "1500M"
    assert loaded.JupyterHub.spawner_class is CourseSpawner


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"memory": "lots"}, "not a size such as 2G"),
        ({"cpus": 0}, "cpus must be above 0"),
        ({"ssl_cert": "/etc/cert.pem"}, "both --ssl-cert and --ssl-key"),
        ({"lti_issuer": "https://moodle.example.fi"}, "needs all three of --lti-issuer"),
        (
            {"lti_issuer": "moodle", "lti_client_id": "c", "lti_deployment_ids": ("1",)},
            "must be Moodle's address",
        ),
    ],
)
def test_bad_settings_say_what_is_wrong(settings, changes, message):
    with pytest.raises(CourseError, match=message):
        settings.but(**changes)


def test_memory_sizes_as_jupyterhub_writes_them():
    assert limits.parse_size("2G") == 2 * 2**30
    assert limits.parse_size("512M") == 512 * 2**20
    assert limits.parse_size("1.5G") == int(1.5 * 2**30)
    assert limits.parse_size(1000) == 1000


def test_learners_config_submits_the_pulled_lessons_and_hides_the_formgrader(
    settings, tmp_path, monkeypatch
):
    service.write_role_configs(settings, "servicecourse")
    learner = settings.jupyter_config / "learner"
    namespace = {}
    code = (learner / "nbgrader_config.py").read_text()
    home = tmp_path / "home"
    pulled = home / settings.student_folder / "_pages"
    monkeypatch.setenv("HOME", str(home))
    home.mkdir()
    for expected in (home, pulled):
        config = Config()
        namespace["get_config"] = functools.partial(lambda made: made, config)
        exec(compile(code, "nbgrader_config.py", "exec"), namespace)
        assert config.Exchange.root == str(settings.exchange)
        assert config.CourseDirectory.course_id == "servicecourse"
        assert config.Exchange.assignment_dir == str(expected), "the pulled lessons, else home"
        pulled.mkdir(parents=True, exist_ok=True)
    server = (learner / "jupyter_server_config.json").read_text()
    assert '"nbgrader.server_extensions.formgrader": false' in server
    lab = (learner / "labconfig" / "page_config.json").read_text()
    assert '"@jupyter/nbgrader:formgrader": true' in lab
    instructor = (settings.jupyter_config / "instructor" / "nbgrader_config.py").read_text()
    assert str(settings.course) in instructor and "load_subconfig" in instructor


def test_hub_refuses_to_run_without_root(settings, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(CourseError, match="run it as root"):
        service.prepare(settings)


@as_root
def test_missing_groups_say_how_to_make_them(settings):
    missing = settings.but(instructors_group=f"no-such-{secrets.token_hex(3)}")
    with pytest.raises(CourseError, match="groupadd no-such-"):
        service.prepare(missing)


# -- limits ----------------------------------------------------------------------------------
def _fake_v2(tmp_path: Path, own: str, controllers: str = "cpuset cpu io memory pids"):
    """A cgroup v2 file tree like the kernel's (the hub only reads and writes its files)."""
    mount = tmp_path / "cgroup"
    (tmp_path / "mountinfo").write_text(
        f"30 23 0:26 / {mount} rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n"
    )
    (tmp_path / "proc_cgroup").write_text(f"0::{own}\n")
    mine = mount / own.lstrip("/")
    mine.mkdir(parents=True)
    (mount / "cgroup.controllers").write_text(controllers)
    (mine / "cgroup.controllers").write_text(controllers)
    (mine / "cgroup.procs").write_text("4242\n")
    return tmp_path / "mountinfo", tmp_path / "proc_cgroup", mine


def test_v2_service_moves_itself_into_a_leaf_and_delegates_to_learners(tmp_path):
    mountinfo, proc, service_group = _fake_v2(tmp_path, "/system.slice/servicecourse-hub.service")
    cgroups = limits.prepare(mountinfo, proc)
    assert cgroups.version == 2
    assert cgroups.bases == [service_group / limits.LEARNERS_GROUP]
    assert (service_group / "hub" / "cgroup.procs").read_text() == "4242"
    assert (service_group / "cgroup.subtree_control").read_text() == "+memory +cpu"
    folder = cgroups.create("ada", limits.parse_size("1G"), 0.5)[0]
    assert (folder / "memory.max").read_text() == str(2**30)
    assert (folder / "cpu.max").read_text() == "50000 100000"
    assert cgroups.limits("ada") == (2**30, 0.5)
    again = limits.Cgroups.from_description(cgroups.describe())
    assert again.bases == cgroups.bases and again.version == 2


def test_v2_without_delegation_is_refused_with_the_fix(tmp_path):
    mountinfo, proc, _ = _fake_v2(tmp_path, "/system.slice/hub.service", controllers="pids")
    with pytest.raises(limits.LimitsError, match="lacks the cpu, memory") as refused:
        limits.prepare(mountinfo, proc)
    assert "Delegate=yes" in str(refused.value) and "--no-limits" in str(refused.value)


def test_no_cgroups_at_all_is_refused(tmp_path):
    (tmp_path / "mountinfo").write_text("22 1 0:5 / /proc rw - proc proc rw\n")
    (tmp_path / "proc_cgroup").write_text("0::/\n")
    with pytest.raises(limits.LimitsError, match="--no-limits"):
        limits.prepare(tmp_path / "mountinfo", tmp_path / "proc_cgroup")


def test_spawner_refuses_to_start_a_server_without_its_limits():
    spawner = CourseSpawner(cgroups="", limits_required=True)
    with pytest.raises(limits.LimitsError, match="--no-limits"):
        spawner._cgroups()
    assert CourseSpawner(cgroups="", limits_required=False)._cgroups() is None


@pytest.fixture
def kernel_cgroups():
    try:
        cgroups = limits.prepare()
    except limits.LimitsError as err:
        pytest.fail(f"this machine's cgroups cannot take limits: {err}")
    yield cgroups
    cgroups.stop_all()


@as_root
def test_memory_limit_kills_a_learner_who_takes_too_much(kernel_cgroups):
    user = f"limit-{secrets.token_hex(3)}"
    kernel_cgroups.create(user, limits.parse_size("64M"), 0.5)
    memory, cpus = kernel_cgroups.limits(user)
    assert memory == 64 * 2**20 and cpus == 0.5
    hog = "x = bytearray(300 * 2**20); x[::4096] = b'1' * len(x[::4096]); print('survived')"
    done = subprocess.run(
        [sys.executable, "-c", hog],
        preexec_fn=lambda: kernel_cgroups.enter(user),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == -9 and "survived" not in done.stdout, "the kernel's OOM killer"
    small = subprocess.run(
        [sys.executable, "-c", "x = bytearray(8 * 2**20); print('fine')"],
        preexec_fn=lambda: kernel_cgroups.enter(user),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert small.stdout.strip() == "fine"
    left = subprocess.Popen(["sleep", "300"], preexec_fn=lambda: kernel_cgroups.enter(user))
    assert kernel_cgroups.pids(user) == {left.pid}
    kernel_cgroups.stop(user)
    assert left.wait(timeout=10) == -9, "stop kills what is left in the cgroup"
    assert not any(folder.exists() for folder in kernel_cgroups.folders(user))


# -- systemd units ---------------------------------------------------------------------------
def read_unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """systemd's unit syntax (systemd.syntax(7)): [Section], Key=value, keys may repeat."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        key, equals, value = line.partition("=")
        assert current is not None and equals, f"{path.name}:{number}: not Key=value: {raw!r}"
        assert key.strip().isalnum(), f"{path.name}:{number}: bad key {key!r}"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


# The documented choices: the command is the service (Type=exec) and stops everything itself
# on SIGTERM; systemd kills what is left after the timeout (KillMode=mixed).
SERVICE_KEYS = {
    "servicecourse-hub.service": {"Type": "exec", "KillMode": "mixed", "Delegate": "yes"},
    "servicecourse-dashboards.service": {"Type": "exec", "KillMode": "mixed"},
}


@pytest.mark.parametrize("unit", sorted(SERVICE_KEYS))
def test_unit_files_parse_and_start_real_commands(unit):
    sections = read_unit(UNITS / unit)
    assert set(sections) == {"Unit", "Service", "Install"}
    service_section = sections["Service"]
    for key, value in SERVICE_KEYS[unit].items():
        assert service_section[key] == [value], f"{unit}: {key}"
    assert service_section["KillSignal"] == ["SIGTERM"]
    assert service_section["StateDirectory"] == [unit.removesuffix(".service")]
    assert sections["Install"]["WantedBy"] == ["multi-user.target"]
    (exec_start,) = service_section["ExecStart"]
    command = shlex.split(exec_start)
    program = Path(command[0])
    assert program.is_relative_to(INSTALL), "the documented install location"
    here = kit.REPO / program.relative_to(INSTALL)
    assert here.exists() and os.access(here, os.X_OK), f"{unit}: {program} is not a command"
    args = parser().parse_args(command[1:])  # the options exist and take these values
    assert args.command == unit.removeprefix("servicecourse-").removesuffix(".service")
    if args.command == "hub":
        assert args.state_dir == "/var/lib/" + service_section["StateDirectory"][0]


# -- SIGTERM ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def hub_users():
    suffix = secrets.token_hex(3)
    learners, instructors = f"sct{suffix}-l", f"sct{suffix}-i"
    with kit.groups_and_users([learners, instructors], {f"sct{suffix}a": [learners]}) as accounts:
        yield learners, instructors, next(iter(accounts.values()))


@as_root
@pytest.mark.slow
def test_sigterm_stops_the_hub_and_every_learner_server(tmp_path, hub_users):
    learners, instructors, learner = hub_users
    course = copy_course(tmp_path / "project" / "autograde")
    with kit.running_hub(tmp_path, course, learners, instructors) as hub:
        session = kit.log_in(hub.url, learner)
        started = time.monotonic()
        server = kit.open_server(session, hub.url, learner.name)
        print(f"\nlearner's server ready {time.monotonic() - started:.1f} s after login")
        kernel = session.post(
            f"{server}/api/kernels", headers=kit.xsrf_headers(session, f"/user/{learner.name}/")
        )
        assert kernel.status_code == 201, kernel.text
        runtime = Path(pwd.getpwnam(learner.name).pw_dir) / ".local/share/jupyter/runtime"
        (connection,) = runtime.glob(f"kernel-{kernel.json()['id']}.json")
        assert json.loads(connection.read_text())["transport"] == "ipc", "no TCP port to race"
        tree = hub.descendants()
        learner_processes = _processes_of(learner.uid)
        assert len(learner_processes) >= 2, "the server and its kernel run as the learner"
        cgroups = limits.Cgroups.from_description(_cgroups_of(hub))
        assert cgroups.pids(learner.name) == learner_processes, "all in the learner's cgroup"
        assert cgroups.limits(learner.name) == (2 * 2**30, 1.0)
        stopping = time.monotonic()
        assert hub.terminate() == 0
        print(f"stopped {time.monotonic() - stopping:.1f} s after SIGTERM")
    alive = {process for process in tree if kit.still_running(process)}
    assert not alive, f"left behind: {alive}"
    assert not _processes_of(learner.uid)
    assert not any(folder.exists() for folder in cgroups.folders(learner.name))
    log = hub.log.read_text()
    assert "Cleaning up single-user servers" in log and "hub stopped" in log


def _processes_of(uid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    found.add(int(entry.name))
            except OSError:
                pass
    return found


def _cgroups_of(hub: kit.RunningHub) -> str:
    """What `servicecourse hub` gave JupyterHub (its child's environment)."""
    for pid, _ in hub.descendants():
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        for item in environ:
            if item.startswith(hub_config.CGROUPS_ENV.encode() + b"="):
                return item.split(b"=", 1)[1].decode()
    raise AssertionError("JupyterHub was not given the learners' cgroups")
