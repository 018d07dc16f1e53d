"""A course hub for tests: system users and groups made (and removed) by the test, a hub on
free loopback ports, and the machine left as it was found (file modes the hub changed, the
learners' way to the Python environment)."""

from __future__ import annotations

import contextlib
import http.server
import os
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from servicecourse.hub import service
from servicecourse.paths import CourseLayout

REPO = service.HUB_CONFIG.parents[1]
SERVICECOURSE = Path(sys.executable).parent / "servicecourse"


@dataclass
class Account:
    name: str
    password: str

    @property
    def uid(self) -> int:
        import pwd

        return pwd.getpwnam(self.name).pw_uid


def _run(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True)


@contextlib.contextmanager
def groups_and_users(groups: list[str], users: dict[str, list[str]]):
    """Unix groups and users (random passwords), removed afterwards with their homes."""
    made_groups, made_users = [], []
    try:
        for group in groups:
            _run("groupadd", group)
            made_groups.append(group)
        accounts = {}
        for name, member_of in users.items():
            _run(
                "useradd", "--create-home", "--shell", "/bin/bash", "-G", ",".join(member_of), name
            )
            made_users.append(name)
            password = secrets.token_urlsafe(18)
            subprocess.run(["chpasswd"], input=f"{name}:{password}", text=True, check=True)
            accounts[name] = Account(name, password)
        yield accounts
    finally:
        for name in made_users:
            subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True)
            subprocess.run(["userdel", "--remove", name], capture_output=True)
        for group in made_groups:
            subprocess.run(["groupdel", group], capture_output=True)


def _snapshot(paths) -> dict[Path, tuple[int, int, int]]:
    found = {}
    for path in paths:
        if path.exists() and not path.is_symlink():
            info = path.stat()
            found[path] = (stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid)
    return found


@contextlib.contextmanager
def python_reachable():
    """A folder on the way to the Python interpreter or to the project that others cannot pass
    (e.g. /root, 0700, where pyenv lives here, or a clone in a `mktemp -d` folder) is opened
    for passing (o+x) while the test runs, as an install in /opt would be."""
    interpreter = (Path(sys.executable).parent / "python").resolve()
    ways = {*interpreter.parents, *REPO.resolve().parents, *Path(sys.executable).parents}
    opened = sorted(p for p in ways if not stat.S_IMODE(p.stat().st_mode) & 0o001)
    opened_modes = {p: stat.S_IMODE(p.stat().st_mode) for p in opened}
    for path in opened:
        os.chmod(path, opened_modes[path] | 0o001)
    try:
        yield
    finally:
        for path, mode in opened_modes.items():
            os.chmod(path, mode)


@contextlib.contextmanager
def machine_restored(course: Path):
    """The modes the hub sets on the install and the course are put back afterwards; the way
    to the interpreter is open meanwhile (:func:`python_reachable`)."""
    install = [REPO, *REPO.iterdir()] + [
        REPO / "servicecourse" / room for room in CourseLayout.TOOLING_ROOMS
    ]
    course_paths = [course] + [Path(f) / n for f, ds, fs in os.walk(course) for n in ds + fs]
    before = _snapshot(install + course_paths)
    try:
        with python_reachable():
            yield
    finally:
        for path, (mode, uid, gid) in before.items():
            if path.exists():
                os.lchown(path, uid, gid)
                os.chmod(path, mode)


def free_port_block(size: int = 3) -> int:
    """A port P with P..P+size-1 free: the hub, its API and the proxy's API."""
    for _ in range(100):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port + size > 65535:
            continue
        try:
            with contextlib.ExitStack() as stack:
                for offset in range(size):
                    probe = stack.enter_context(socket.socket())
                    probe.bind(("127.0.0.1", port + offset))
            return port
        except OSError:
            continue
    raise RuntimeError("no block of free ports")


class RunningHub:
    """`servicecourse hub` as a subprocess, as systemd would run it."""

    def __init__(self, process: subprocess.Popen, url: str, log: Path, state: Path):
        self.process, self.url, self.log, self.state = process, url, log, state

    def wait_until_up(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the hub exited: {self.log.read_text()[-3000:]}")
            try:
                if requests.get(f"{self.url}/hub/login", timeout=3).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"the hub never answered: {self.log.read_text()[-3000:]}")

    def descendants(self) -> set[tuple[int, str]]:
        """Every process below the hub command: (pid, start time), so that a pid the system
        gives to another process later is not mistaken for a survivor."""
        children: dict[int, list[tuple[int, str]]] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                fields = _stat_fields(int(entry.name))
                if fields:
                    children.setdefault(int(fields[1]), []).append((int(entry.name), fields[19]))
        found, todo = set(), [self.process.pid]
        while todo:
            for child in children.get(todo.pop(), []):
                found.add(child)
                todo.append(child[0])
        return found

    def terminate(self, timeout: float = 120) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)


def _stat_fields(pid: int) -> list[str] | None:
    """/proc/PID/stat after the command name (proc(5)): state, ppid, …, starttime at [19]."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def still_running(process: tuple[int, str]) -> bool:
    fields = _stat_fields(process[0])
    return bool(fields) and fields[19] == process[1] and fields[0] != "Z"


@contextlib.contextmanager
def running_hub(
    tmp: Path, course: Path, learners: str, instructors: str, *args: str, port: int = 0
):
    port = port or free_port_block()
    # Learners reach the exchange and their role's configuration: not under pytest's 0700 tmp.
    shared = Path(tempfile.mkdtemp(prefix="hub-", dir="/tmp"))
    os.chmod(shared, 0o755)
    state, exchange, log = shared / "state", shared / "exchange", tmp / "hub.log"
    command = [str(SERVICECOURSE), "hub", "--port", str(port), "--state-dir", str(state)]
    command += ["--exchange", str(exchange), "--course", str(course)]
    command += ["--learners-group", learners, "--instructors-group", instructors, *args]
    with machine_restored(course), open(log, "w") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, cwd=tmp)
        hub = RunningHub(process, f"http://127.0.0.1:{port}", log, state)
        hub.exchange = exchange
        try:
            hub.wait_until_up()
            yield hub
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=120)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            shutil.rmtree(shared, ignore_errors=True)


def log_in(hub_url: str, account: Account) -> requests.Session:
    """The hub's login form, as a browser posts it; returns the logged-in session."""
    session = requests.Session()
    session.get(f"{hub_url}/hub/login", timeout=30)
    form = {"username": account.name, "password": account.password}
    form.update(_xsrf=xsrf_headers(session, "/hub/login")["X-XSRFToken"])
    done = session.post(f"{hub_url}/hub/login", data=form, timeout=120)
    done.raise_for_status()
    if "/hub/login" in done.url:
        raise RuntimeError(f"{account.name} could not log in")
    return session


def open_server(session: requests.Session, hub_url: str, name: str, timeout: float = 120):
    """Start (or reach) the user's server and log into it; returns its /user/NAME/ URL."""
    base = f"{hub_url}/user/{name}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        page = session.get(f"{base}/lab", timeout=60)
        if page.status_code == 200 and "/lab" in page.url and "spawn-pending" not in page.url:
            status = session.get(f"{base}/api/status", timeout=10)
            if status.status_code == 200:
                return base
        time.sleep(1)
    raise RuntimeError(f"{name}'s server did not start")


def xsrf_headers(session: requests.Session, path: str) -> dict:
    """The _xsrf token the server at PATH (e.g. /user/NAME/) set for its own pages."""
    tokens = [c.value for c in session.cookies if c.name == "_xsrf" and path.startswith(c.path)]
    return {"X-XSRFToken": tokens[-1] if tokens else ""}


class _GitHandler(http.server.BaseHTTPRequestHandler):
    """git's smart HTTP (git-http-backend(1), run as CGI): what GitLab serves, on loopback."""

    project_root = ""

    def log_message(self, *args):
        pass

    def do_GET(self):
        self._backend()

    def do_POST(self):
        self._backend()

    def _backend(self):
        path, _, query = self.path.partition("?")
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        env = {
            "PATH": os.environ["PATH"],
            "GIT_PROJECT_ROOT": self.project_root,
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "REQUEST_METHOD": self.command,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_ADDR": self.client_address[0],
            "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
        }
        done = subprocess.run(
            ["git", "http-backend"], input=body, env=env, capture_output=True, check=False
        )
        head, _, payload = done.stdout.partition(b"\r\n\r\n")
        if not _:
            head, _, payload = done.stdout.partition(b"\n\n")
        headers = [line.split(":", 1) for line in head.decode().splitlines() if ":" in line]
        status = next((int(v.split()[0]) for k, v in headers if k.lower() == "status"), 200)
        self.send_response(status)
        for key, value in headers:
            if key.lower() != "status":
                self.send_header(key, value.strip())
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@contextlib.contextmanager
def git_server(project_root: Path):
    """Serve the bare repositories under PROJECT_ROOT; yields the base URL."""
    handler = type("Handler", (_GitHandler,), {"project_root": str(project_root)})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
