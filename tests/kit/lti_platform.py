"""A local LTI 1.3 platform that launches a tool as Moodle does, for tests on loopback.

It has its own RSA key and publishes it as a JSON Web Key Set; its launch page posts the
third-party login initiation to the tool (IMS Security Framework 1.0, 5.1.1.1: iss,
login_hint, target_link_uri, lti_message_hint, client_id, lti_deployment_id); its OIDC
authorisation endpoint checks the tool's authentication request (5.1.1.2: response_type
id_token, scope openid, response_mode form_post, prompt none, the registered client_id and
redirect_uri, a nonce and a state) and answers with a signed id_token and the state, posted back
to the redirect URI by a page that submits itself (5.1.1.3). The id_token carries the claims a
Moodle launch carries (LTI 1.3 core 5.3 and 5.4; Moodle's mapping in mod/lti/locallib.php):
message type, version, deployment id, target link, resource link, context, roles, the user's
name and e-mail when shared, tool platform, launch presentation, custom and Moodle's ``ext``.

Learners are synthetic; nothing leaves loopback.
"""

from __future__ import annotations

import html
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
LEARNER_ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class PlatformUser:
    """A Moodle user as a launch shows them; ``email=None`` when the tool may not see it."""

    sub: str
    given_name: str
    family_name: str
    email: str | None
    roles: list[str] = field(default_factory=lambda: [LEARNER_ROLE])

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"


@dataclass
class ToolRegistration:
    """What the platform's administrator entered for the tool (Moodle's tool form)."""

    client_id: str
    deployment_id: str
    initiate_login_url: str
    redirect_uris: list[str]
    target_link_uri: str


def auto_post_page(action: str, fields: dict[str, str], title: str) -> bytes:
    """A page that posts ``fields`` to ``action`` on load, as a platform's launch page does."""
    inputs = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in fields.items()
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head><body>"
        f'<form id="launch" method="post" action="{html.escape(action)}">{inputs}'
        '<noscript><button type="submit">Continue</button></noscript></form>'
        "<script>document.getElementById('launch').submit();</script></body></html>"
    ).encode()


class _FormReader(HTMLParser):
    def __init__(self):
        super().__init__()
        self.action, self.fields = None, {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = attrs.get("action")
        if tag == "input" and attrs.get("name"):
            self.fields[attrs["name"]] = attrs.get("value") or ""


def read_form(page: str) -> tuple[str, dict[str, str]]:
    """The first form of a page: where it posts and its fields (what the browser would send)."""
    reader = _FormReader()
    reader.feed(page)
    if reader.action is None:
        raise AssertionError(f"no form in the page: {page[:500]}")
    return reader.action, reader.fields


class LTIPlatform:
    """The platform: start with :meth:`start`, stop with :meth:`stop` (or use it as a context)."""

    def __init__(self):
        self.key = new_key()
        self.kid = uuid.uuid4().hex
        self.users: dict[str, PlatformUser] = {}
        self.tool: ToolRegistration | None = None
        self.requests: list[str] = []  # paths asked for, for tests to inspect
        self._server: ThreadingHTTPServer | None = None

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> LTIPlatform:
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                platform._serve(self, "GET", parse_qs(urlparse(self.path).query))

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8")
                platform._serve(self, "POST", parse_qs(body))

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # --- what the tool is told --------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def issuer(self) -> str:
        """Moodle's Platform ID is its site URL."""
        return self.url

    @property
    def jwks_url(self) -> str:
        return f"{self.url}/mod/lti/certs.php"

    @property
    def authorize_url(self) -> str:
        return f"{self.url}/mod/lti/auth.php"

    def launch_url(self, login_hint: str) -> str:
        """The course page link a learner clicks."""
        return f"{self.url}/mod/lti/launch.php?{urlencode({'user': login_hint})}"

    def jwks(self) -> dict[str, Any]:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**public, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

    # --- tokens ---------------------------------------------------------------------------------

    def claims(self, user: PlatformUser, nonce: str) -> dict[str, Any]:
        """A resource link launch as Moodle writes it."""
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.tool.client_id,
            "sub": user.sub,
            "exp": now + 60,
            "iat": now,
            "nonce": nonce,
            LTI + "deployment_id": self.tool.deployment_id,
            LTI + "target_link_uri": self.tool.target_link_uri,
            LTI + "lis": {"person_sourcedid": "", "course_section_sourcedid": ""},
            LTI + "roles": user.roles,
            LTI + "context": {
                "id": "42",
                "label": "SVC101",
                "title": "IT service management",
                "type": ["CourseSection"],
            },
            LTI + "message_type": "LtiResourceLinkRequest",
            LTI + "resource_link": {"title": "Course hub", "description": "", "id": "7"},
            LTI + "tool_platform": {
                "product_family_code": "moodle",
                "version": "2024100700",
                "guid": "127.0.0.1",
                "name": "Test Moodle",
                "description": "Test Moodle",
            },
            LTI + "version": "1.3.0",
            LTI + "launch_presentation": {
                "locale": "en",
                "document_target": "window",
                "return_url": f"{self.url}/mod/lti/return.php",
            },
            LTI + "custom": {},
            LTI + "ext": {"user_username": user.sub, "lms": "moodle-2"},
            "given_name": user.given_name,
            "family_name": user.family_name,
            "name": user.name,
        }
        if user.email is not None:
            claims["email"] = user.email
        return claims

    def sign(self, claims: dict[str, Any], key: rsa.RSAPrivateKey | None = None) -> str:
        """An id_token; ``key`` another key to forge a signature under this platform's kid."""
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": self.kid})

    # --- the endpoints --------------------------------------------------------------------------

    def _serve(self, request: BaseHTTPRequestHandler, method: str, query: dict) -> None:
        path = urlparse(request.path).path
        self.requests.append(path)
        args = {k: v[0] for k, v in query.items()}
        try:
            if path == "/mod/lti/certs.php":
                self._reply(request, 200, json.dumps(self.jwks()).encode(), "application/json")
            elif path == "/mod/lti/launch.php":
                self._reply(request, 200, self._initiate_login(args["user"]))
            elif path == "/mod/lti/auth.php":
                self._reply(request, 200, self._authorise(args))
            else:
                self._reply(request, 404, b"not found", "text/plain")
        except (KeyError, ValueError) as error:
            self._reply(request, 400, f"bad request: {error}".encode(), "text/plain")

    def _initiate_login(self, login_hint: str) -> bytes:
        if login_hint not in self.users:
            raise KeyError(f"no user {login_hint}")
        fields = {
            "iss": self.issuer,
            "login_hint": login_hint,
            "target_link_uri": self.tool.target_link_uri,
            "lti_message_hint": "7",
            "client_id": self.tool.client_id,
            "lti_deployment_id": self.tool.deployment_id,
        }
        return auto_post_page(self.tool.initiate_login_url, fields, "Launching the course hub")

    def _authorise(self, args: dict[str, str]) -> bytes:
        expected = {
            "response_type": "id_token",
            "scope": "openid",
            "response_mode": "form_post",
            "prompt": "none",
            "client_id": self.tool.client_id,
        }
        for name, value in expected.items():
            if args.get(name) != value:
                raise ValueError(f"{name} is {args.get(name)!r}, expected {value!r}")
        if args.get("redirect_uri") not in self.tool.redirect_uris:
            raise ValueError(f"redirect_uri {args.get('redirect_uri')!r} is not registered")
        if not args.get("nonce") or not args.get("state"):
            raise ValueError("nonce and state are required")
        user = self.users[args["login_hint"]]
        token = self.sign(self.claims(user, args["nonce"]))
        return auto_post_page(
            args["redirect_uri"], {"id_token": token, "state": args["state"]}, "Signing in"
        )

    @staticmethod
    def _reply(request, status: int, body: bytes, kind: str = "text/html; charset=utf-8"):
        request.send_response(status)
        request.send_header("Content-Type", kind)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)
