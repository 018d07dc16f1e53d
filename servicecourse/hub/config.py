"""The hub's settings and the JupyterHub configuration made from them.

hub/jupyterhub_config.py calls :func:`configure` and nothing else, so that a test can load the
configuration the hub runs with. ``servicecourse hub`` writes the settings to the state folder
and names the file in SERVICECOURSE_HUB_SETTINGS; without it, the defaults below apply.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from urllib.parse import urlsplit

from ..paths import CourseError, layout
from . import limits

SETTINGS_ENV = "SERVICECOURSE_HUB_SETTINGS"
CGROUPS_ENV = "SERVICECOURSE_HUB_CGROUPS"  # the learners' cgroups, prepared by `servicecourse hub`
EXCHANGE_ENV = "SERVICECOURSE_EXCHANGE"  # read by autograde/nbgrader_config.py
MARKER_ENV = "SERVICECOURSE_HUB_RUN"  # every process the hub starts carries it: none survives
COURSE_ID = "servicecourse"  # autograde/nbgrader_config.py's CourseDirectory.course_id
IDLE_CULLER = "idle-culler"
HUB_TEMPLATES = Path(__file__).resolve().parents[2] / "hub" / "templates"
AUTHENTICATOR = "servicecourse.hub.authenticator.CourseAuthenticator"


@dataclass(frozen=True)
class HubSettings:
    """Everything an operator may set; `servicecourse hub --help` explains each."""

    ip: str = "127.0.0.1"  # behind a TLS reverse proxy; or 0.0.0.0 with ssl_cert/ssl_key
    port: int = 8000  # the hub's API listens on port + 1 and the proxy's API on port + 2
    ssl_cert: str = ""
    ssl_key: str = ""
    state_dir: Path = Path("/var/lib/servicecourse-hub")
    exchange: Path = Path("/srv/nbgrader/exchange")
    course: Path = field(default_factory=lambda: layout().grading.root)
    learners_group: str = "servicecourse-learners"
    instructors_group: str = "servicecourse-instructors"
    memory: str = "2G"  # per learner: the server, its kernels and everything they start
    cpus: float = 1.0
    limits: bool = True
    idle_timeout: int = 3600  # seconds without activity before the culler stops a server
    student_folder: str = ""  # where nbgitpuller puts the student branch in a learner's home
    # Logins: the local (PAM) form always; LTI 1.3 from Moodle once its issuer, client id and
    # deployment id are given (Moodle's "Tool configuration details"; book/hub.md).
    lti_issuer: str = ""  # Moodle's Platform ID, e.g. https://moodle.example.fi
    lti_client_id: str = ""
    lti_deployment_ids: tuple = ()
    lti_authorize_url: str = ""  # default: the issuer's /mod/lti/auth.php
    lti_keyset_url: str = ""  # default: the issuer's /mod/lti/certs.php

    def __post_init__(self):
        for name in ("state_dir", "exchange", "course"):
            object.__setattr__(self, name, Path(getattr(self, name)).absolute())
        if not self.student_folder:
            object.__setattr__(self, "student_folder", default_student_folder())
        limits.parse_size(self.memory)
        if self.cpus <= 0:
            raise CourseError(f"cpus must be above 0, not {self.cpus}")
        if (self.ssl_cert == "") != (self.ssl_key == ""):
            raise CourseError("give both --ssl-cert and --ssl-key, or neither")
        object.__setattr__(self, "lti_deployment_ids", tuple(self.lti_deployment_ids))
        lti = (self.lti_issuer, self.lti_client_id, self.lti_deployment_ids)
        if any(lti) and not all(lti):
            raise CourseError(
                "LTI 1.3 needs all three of --lti-issuer, --lti-client-id and "
                "--lti-deployment-id (Moodle: the tool's 'View configuration details')"
            )
        if self.lti_issuer and not urlsplit(self.lti_issuer).scheme.startswith("http"):
            raise CourseError(
                f"--lti-issuer must be Moodle's address (https://…), not {self.lti_issuer!r}"
            )

    @property
    def course_root(self) -> Path:
        """The project folder of the course (its ``autograde/`` is ``course``)."""
        return self.course.parent

    @property
    def jupyter_config(self) -> Path:
        """Jupyter configuration of the single-user servers: one folder per role."""
        return self.state_dir / "jupyter"

    @property
    def proxy_token_file(self) -> Path:
        return self.state_dir / "proxy_token"

    @property
    def url(self) -> str:
        scheme = "https" if self.ssl_cert else "http"
        return f"{scheme}://{self.ip}:{self.port}"

    def to_json(self) -> str:
        values = asdict(self)
        return json.dumps({k: str(v) if isinstance(v, Path) else v for k, v in values.items()})

    @classmethod
    def from_json(cls, text: str) -> HubSettings:
        known = {f.name for f in fields(cls)}
        data = json.loads(text)
        unknown = set(data) - known
        if unknown:
            raise CourseError(f"unknown hub settings: {', '.join(sorted(unknown))}")
        return cls(**data)

    @classmethod
    def load(cls) -> HubSettings:
        path = os.environ.get(SETTINGS_ENV)
        return cls.from_json(Path(path).read_text()) if path else cls()

    def but(self, **changes) -> HubSettings:
        return replace(self, **changes)


def default_student_folder() -> str:
    """nbgitpuller clones into a folder named as the repository (the book's repository.url)."""
    from ..build.book import book_config

    url = book_config()["repository"]["url"]
    name = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1] if url else ""
    return name.removesuffix(".git") or "servicecourse-student"


def course_id(course: Path) -> str:
    """The course's nbgrader id, from its configuration (the exchange's folder name)."""
    from ..grading.course import load_config

    return load_config(course).CourseDirectory.course_id or COURSE_ID


def environment_bin() -> Path:
    """The course's Python environment: learners' servers run from it too."""
    return Path(sys.executable).parent


def proxy_command() -> Path:
    proxy = layout().node_modules / ".bin" / "configurable-http-proxy"
    if not proxy.exists():
        raise CourseError(f"{proxy} is missing: run `make deps` (npm ci) first")
    return proxy


def idle_culler_service(settings: HubSettings) -> dict:
    """jupyterhub-idle-culler as a service the hub starts, stops and gives a token."""
    return {
        "name": IDLE_CULLER,
        "command": [
            str(environment_bin() / "python"),
            "-m",
            "jupyterhub_idle_culler",
            f"--timeout={settings.idle_timeout}",
            f"--cull-every={max(10, min(300, settings.idle_timeout // 4))}",
        ],
        "environment": {MARKER_ENV: os.environ.get(MARKER_ENV, "")},
    }


def configure(c, settings: HubSettings | None = None) -> HubSettings:
    """Fill JupyterHub's config object ``c`` from the settings; returns them."""
    from .spawner import CourseSpawner

    settings = settings or HubSettings.load()
    state = settings.state_dir
    c.JupyterHub.ip = settings.ip
    c.JupyterHub.port = settings.port
    # The hub's own API and the proxy's, on loopback beside the public port (not 8081/8001:
    # two hubs on one machine, e.g. a test hub, must not collide).
    c.JupyterHub.hub_ip = "127.0.0.1"
    c.JupyterHub.hub_port = settings.port + 1
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{settings.port + 2}"
    if settings.ssl_cert:
        c.JupyterHub.ssl_cert = settings.ssl_cert
        c.JupyterHub.ssl_key = settings.ssl_key
    # State lives outside the project: the database, the cookie secret and the proxy's token.
    c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
    c.JupyterHub.pid_file = str(state / "jupyterhub.pid")
    c.JupyterHub.cleanup_servers = True  # the hub stops every learner's server when it stops
    c.JupyterHub.cleanup_proxy = True
    c.ConfigurableHTTPProxy.command = [str(proxy_command())]
    # JupyterHub's pages with the course's accessibility fixes (hub/templates/page.html).
    c.JupyterHub.template_paths = [str(HUB_TEMPLATES)]
    c.ConfigurableHTTPProxy.pid_file = str(state / "proxy.pid")
    if settings.proxy_token_file.exists():
        c.ConfigurableHTTPProxy.auth_token = settings.proxy_token_file.read_text().strip()

    # Logins (authenticator.CourseAuthenticator): the local PAM form for the two Unix groups,
    # and LTI 1.3 launches from Moodle, whose learners get a system user in the learners' group.
    c.JupyterHub.authenticator_class = AUTHENTICATOR
    c.Authenticator.allowed_groups = {settings.learners_group, settings.instructors_group}
    c.PAMAuthenticator.open_sessions = False
    c.CourseAuthenticator.grading_course = str(settings.course)
    if settings.lti_issuer:
        issuer = settings.lti_issuer.rstrip("/")
        c.CourseAuthenticator.issuer = issuer
        c.CourseAuthenticator.client_id = {settings.lti_client_id}
        c.CourseAuthenticator.deployment_ids = set(settings.lti_deployment_ids)
        c.CourseAuthenticator.authorize_url = (
            settings.lti_authorize_url or f"{issuer}/mod/lti/auth.php"
        )
        c.CourseAuthenticator.jwks_endpoint = (
            settings.lti_keyset_url or f"{issuer}/mod/lti/certs.php"
        )
        c.CourseAuthenticator.create_system_users = True
        c.CourseAuthenticator.add_user_cmd = [
            "useradd", "--create-home", "--shell", "/bin/bash",
            "--groups", settings.learners_group, "USERNAME",
        ]  # fmt: skip

    c.JupyterHub.spawner_class = CourseSpawner
    c.Spawner.cmd = [str(environment_bin() / "jupyterhub-singleuser")]
    c.Spawner.default_url = "/lab"
    c.Spawner.mem_limit = settings.memory
    c.Spawner.cpu_limit = settings.cpus
    # A class that arrives at once queues for the CPU: a learner's server takes about 3.4 CPU
    # seconds to start (benchmarks/capacity.json), so 20 at once on 2 busy cores answered after
    # 77-83 s, and some after more than 90 s (benchmarks/bench_hub_load.py). Waiting is better
    # than a failed spawn that the learner must retry.
    c.Spawner.start_timeout = 300
    c.Spawner.http_timeout = 300
    c.LocalProcessSpawner.interrupt_timeout = 10
    c.LocalProcessSpawner.term_timeout = 10
    c.CourseSpawner.cgroups = os.environ.get(CGROUPS_ENV, "") if settings.limits else ""
    c.CourseSpawner.limits_required = settings.limits
    c.CourseSpawner.instructors_group = settings.instructors_group
    c.CourseSpawner.jupyter_config = str(settings.jupyter_config)
    c.CourseSpawner.exchange = str(settings.exchange)
    c.CourseSpawner.course_root = str(settings.course_root)
    c.CourseSpawner.run_marker = os.environ.get(MARKER_ENV, "")

    c.JupyterHub.services = [idle_culler_service(settings)]
    c.JupyterHub.load_roles = [
        {
            "name": IDLE_CULLER,
            "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
            "services": [IDLE_CULLER],
        }
    ]
    return settings
