"""The course hub's logins: LTI 1.3 launches from Moodle for learners, and a local (PAM) login on
the hub's own page for teachers and for trying the hub out.

Built on jupyterhub-ltiauthenticator's ``LTI13Authenticator`` (its login-initiation and launch
handlers verify the platform's signature against its keyset, the issuer, audience, expiry, age,
state and nonce) combined with JupyterHub's ``PAMAuthenticator`` by inheritance: the hub's
``/hub/login`` is PAM's form, and the two LTI handlers are served beside it. The LTI class on
its own replaces the login page with a "Login with LTI 1.3" button, so ``login_service`` and
``login_url`` are PAM's here. ltiauthenticator's ``/lti13/config`` (a Canvas configuration JSON
that would name PAM's login page as the login-initiation URL) is not served; Moodle is set up
by hand (docs: the instructors' guide).

What this class adds to ltiauthenticator 1.6.3, which does not check them:

- the launch's ``deployment_id`` must be one of ``deployment_ids`` (Moodle's "Deployment ID"),
  and the login initiation must name the configured platform (``iss``) and client;
- a nonce is accepted once. ltiauthenticator compares the token's nonce with a cookie and then
  clears the cookie in the browser, but keeps no record: the same POST with the same cookie is
  accepted again. Here each nonce is remembered until its token is too old anyway (the
  validator's ``max_age``, 600 s, or ``exp``), and tokens issued before this hub started are
  refused, so a restart forgets nothing that could be replayed;
- the state cookies are ``SameSite=None; Secure`` when the hub is served over https, so that
  Moodle on another site can post the launch back (a cross-site POST carries no ``Lax`` cookie).

Learners get their hub name from ``servicecourse.hub.identity`` (the documented mapping from the
LTI ``email`` claim to the student id), are recorded in the grading course's ``students.csv``,
and get a Unix account when ``create_system_users`` is on. A launch never makes an admin, and
never logs into a system account (uid below 1000).
"""

from __future__ import annotations

import pwd
import time
from pathlib import Path
from typing import Any

from jupyterhub.auth import Authenticator, PAMAuthenticator
from ltiauthenticator.lti13.auth import LTI13Authenticator
from ltiauthenticator.lti13.error import LoginError
from ltiauthenticator.lti13.handlers import LTI13CallbackHandler, LTI13LoginInitHandler
from ltiauthenticator.lti13.validator import LTI13LaunchValidator
from ltiauthenticator.utils import convert_request_to_dict
from tornado.web import HTTPError
from traitlets import Set, Unicode, default

from ..paths import layout
from . import identity

DEPLOYMENT_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/deployment_id"
FIRST_LOGIN_UID = 1000  # Debian's FIRST_UID (/etc/adduser.conf): below it, system accounts
KEPT_CLAIMS = (
    "iss",
    "sub",
    "email",
    "name",
    DEPLOYMENT_CLAIM,
    "https://purl.imsglobal.org/spec/lti/claim/roles",
    "https://purl.imsglobal.org/spec/lti/claim/context",
    "https://purl.imsglobal.org/spec/lti/claim/resource_link",
)


class CourseLoginInitHandler(LTI13LoginInitHandler):
    """Moodle's login initiation: only from the configured platform and client."""

    def post(self):
        self.authenticator.check_lti_configured()
        args = convert_request_to_dict(self.request.arguments)
        if args.get("iss") and args["iss"] != self.authenticator.issuer:
            raise HTTPError(
                400,
                f"this hub accepts LTI launches from {self.authenticator.issuer}, "
                f"not from {args['iss']}",
            )
        client = args.get("client_id")
        if client and client not in self.authenticator.client_id:
            raise HTTPError(400, f"unknown LTI client id {client!r}: check the tool's Client ID")
        return super().post()

    get = post

    def _set_oauth_cookie(self, key: str, value):
        secure = self.authenticator.get_uri_scheme(self.request) == "https"
        extra = {"samesite": "None", "secure": True} if secure else {}
        self._set_cookie(key, value, expires_days=1, httponly=True, encrypted=True, **extra)


class CourseLaunchHandler(LTI13CallbackHandler):
    """The launch (id_token posted back by Moodle), with the checks ltiauthenticator leaves out."""

    def decode_and_validate_launch_request(self) -> dict[str, Any]:
        self.authenticator.check_lti_configured()
        id_token = super().decode_and_validate_launch_request()
        self.authenticator.check_deployment(id_token)
        max_age = LTI13LaunchValidator(parent=self.app).max_age
        self.authenticator.use_nonce_once(id_token, max_age)
        return id_token


class CourseAuthenticator(LTI13Authenticator, PAMAuthenticator):
    """LTI 1.3 from Moodle for learners, PAM on the hub's login page for teachers."""

    login_service = ""  # PAM's username and password form on /hub/login

    deployment_ids = Set(
        trait=Unicode(),
        config=True,
        help="Moodle's Deployment ID(s) of this tool (Tool configuration details).",
    )

    grading_course = Unicode(
        config=True,
        help="The nbgrader course folder whose students.csv records learners who launch.",
    )

    @default("grading_course")
    def _default_grading_course(self) -> str:
        return str(layout().grading.root)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._started = int(time.time())  # as a token's iat: whole seconds
        self._used_nonces: dict[str, float] = {}

    # --- which login where --------------------------------------------------------------------

    def login_url(self, base_url):
        return Authenticator.login_url(self, base_url)

    def lti_login_url(self, base_url):
        """Moodle's "Initiate login URL"."""
        return LTI13Authenticator.login_url(self, base_url)

    def get_handlers(self, app):
        return PAMAuthenticator.get_handlers(self, app) + [
            (self.lti_login_url(""), CourseLoginInitHandler),
            (self.callback_url(""), CourseLaunchHandler),
        ]

    def missing_lti_settings(self) -> list[str]:
        wanted = {
            "issuer": self.issuer,
            "client_id": self.client_id,
            "deployment_ids": self.deployment_ids,
            "authorize_url": self.authorize_url,
            "jwks_endpoint": self.jwks_endpoint,
        }
        return [f"CourseAuthenticator.{name}" for name, value in wanted.items() if not value]

    def check_lti_configured(self) -> None:
        missing = self.missing_lti_settings()
        if missing:
            raise HTTPError(
                503,
                "LTI 1.3 is not set up on this hub: set "
                + ", ".join(missing)
                + " from Moodle's tool configuration details (see the instructors' guide)",
            )

    # --- the checks ltiauthenticator leaves out -------------------------------------------------

    def check_deployment(self, id_token: dict[str, Any]) -> None:
        deployment = id_token.get(DEPLOYMENT_CLAIM)
        if deployment not in self.deployment_ids:
            raise HTTPError(
                401, f"unknown LTI deployment {deployment!r}: check the tool's Deployment ID"
            )

    def use_nonce_once(self, id_token: dict[str, Any], max_age: int) -> None:
        now = time.time()
        for nonce, until in list(self._used_nonces.items()):
            if until < now:
                del self._used_nonces[nonce]
        nonce, issued = id_token.get("nonce"), id_token.get("iat", 0)
        if issued < self._started:
            raise HTTPError(400, "this launch was issued before the hub started: launch again")
        if nonce in self._used_nonces:
            self.log.warning("Refused a replayed LTI launch (nonce used before)")
            raise HTTPError(400, "this launch was already used: open the activity in Moodle again")
        self._used_nonces[nonce] = max(issued + max_age, id_token.get("exp", 0)) + 60

    # --- who logs in ----------------------------------------------------------------------------

    async def authenticate(self, handler, data=None):
        if isinstance(handler, LTI13CallbackHandler):
            return self._learner_from_launch(data or {})
        return await PAMAuthenticator.authenticate(self, handler, data)

    def _learner_from_launch(self, claims: dict[str, Any]) -> dict[str, Any]:
        try:
            learner = identity.learner_from_claims(claims)
            try:
                account = pwd.getpwnam(learner.student_id)
            except KeyError:
                account = None
            if account is not None and account.pw_uid < FIRST_LOGIN_UID:
                raise identity.IdentityError(
                    f"{learner.student_id} is a system account on this server"
                )
            identity.record_learner(Path(self.grading_course), learner)
        except identity.IdentityError as error:
            raise LoginError(str(error)) from None
        self.log.info("LTI launch by %s (Moodle user %s)", learner.student_id, learner.lti_sub)
        return {
            "name": learner.student_id,
            "admin": False,
            "auth_state": {k: claims[k] for k in KEPT_CLAIMS if k in claims},
        }

    def check_allowed(self, username, authentication=None):
        """Everyone Moodle launches is a learner of the course; local logins need to be allowed
        (``allowed_users``, ``allowed_groups`` or ``admin_users``)."""
        if ((authentication or {}).get("auth_state") or {}).get(DEPLOYMENT_CLAIM):
            return True
        return super().check_allowed(username, authentication)
