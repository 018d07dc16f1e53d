"""The course hub's logins: LTI 1.3 launches from a local test platform (tests/kit/lti_platform)
into a real JupyterHub on loopback, the mapping of a launch to the student id, and its use in
``students.csv``, the gradebook and the Moodle worksheet.

One hub for the module (configurable-http-proxy in front, the course's CourseAuthenticator, no
single-user server is started). Learners are synthetic; the Unix accounts the hub creates for
them and the teacher account made here are removed at the end.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import jwt
import pandas as pd
import pytest
import requests
from kit.lti_platform import (
    LTI,
    LTIPlatform,
    PlatformUser,
    ToolRegistration,
    new_key,
    read_form,
)

from servicecourse.grading import reports
from servicecourse.grading.intake.students import (
    MoodleStudent,
    known_students,
    record_students,
    students_by_email,
)
from servicecourse.hub import identity
from servicecourse.hub.authenticator import CourseAuthenticator
from servicecourse.paths import repo_root

DEBIAN_NAME = re.compile(r"^[a-z][-a-z0-9_]*$")  # adduser.conf's NAME_REGEX (Debian 12)

# --- the mapping ----------------------------------------------------------------------------------


def test_student_id_is_stable_readable_and_a_valid_unix_name():
    # A literal: learners keep their id (and home, submissions, grades) across hub versions.
    assert identity.student_id_for_email("aino.virtanen@example.fi") == "aino_virtanen-c7bc546e"
    assert identity.student_id_for_email(" Aino.Virtanen@Example.FI ") == "aino_virtanen-c7bc546e"
    assert identity.student_id_for_email("aino.virtanen@example.fi").startswith("aino_virtanen-")


@pytest.mark.parametrize(
    "email, readable",
    [
        ("Åsa.Öberg-Lindström@uni.example", "asa_oberg_lindstrom"),
        ("JÉRÔME.Çelik@Uni.Example", "jerome_celik"),
        ("李雷@example.cn", "learner"),
        ("2024student@x.example", "l2024student"),
        ("o'brien+moodle@example.ie", "o_brien_moodle"),
        ("p1234567@example.fi", "p1234567"),
    ],
)
def test_unicode_and_odd_local_parts_give_safe_ids(email, readable):
    student_id = identity.student_id_for_email(email)
    assert student_id.rsplit("-", 1)[0] == readable
    assert DEBIAN_NAME.match(student_id) and len(student_id) <= 32
    assert identity.is_hub_student_id(student_id)
    assert reports.participant(student_id) is None  # never taken for a Moodle zip's p<number>


def test_same_local_part_on_two_domains_gives_two_ids():
    one = identity.student_id_for_email("anna@uni.example")
    other = identity.student_id_for_email("anna@partner.example")
    assert one != other and one.startswith("anna-") and other.startswith("anna-")


def test_an_over_long_address_is_cut_to_a_unix_name():
    long_local = "kristiina.maria.johanna.vaananen-lindqvist.exchange.student"
    student_id = identity.student_id_for_email(f"{long_local}@uni.example")
    assert len(student_id) == 32 and DEBIAN_NAME.match(student_id)
    assert student_id.startswith("kristiina_maria_johanna")
    assert student_id != identity.student_id_for_email(f"{long_local}x@uni.example")


@pytest.mark.parametrize("email", [None, "", "   "])
def test_a_missing_email_is_refused_naming_the_moodle_setting(email):
    with pytest.raises(identity.IdentityError, match="Share launcher's email with tool"):
        identity.student_id_for_email(email)


@pytest.mark.parametrize("email", ["anna", "@uni.example", "anna@"])
def test_text_that_is_no_address_is_refused(email):
    with pytest.raises(identity.IdentityError, match="not an e-mail address"):
        identity.student_id_for_email(email)


def test_launches_and_zip_imports_share_students_csv(tmp_path):
    record_students(tmp_path, [MoodleStudent("p1000001", "Pekka Korhonen", "Pekka_1000001_")])
    learner = identity.learner_from_claims(
        {"email": "Aino.Virtanen@Example.FI", "name": "Aino Virtanen", "sub": "17", "iss": "m"}
    )
    identity.record_learner(tmp_path, learner)
    # a later zip import says nothing about e-mail: what the launch recorded stays
    record_students(tmp_path, [MoodleStudent("p1000001", "Pekka Korhonen", "Pekka_1000001_")])
    rows = known_students(tmp_path)
    assert rows["p1000001"]["moodle_folder"] == "Pekka_1000001_"
    assert rows["aino_virtanen-c7bc546e"] == {
        "student_id": "aino_virtanen-c7bc546e",
        "full_name": "Aino Virtanen",
        "moodle_folder": "",
        "email": "aino.virtanen@example.fi",
        "lti_sub": "17",
        "lti_issuer": "m",
    }
    assert students_by_email(tmp_path) == {"aino.virtanen@example.fi": "aino_virtanen-c7bc546e"}


def test_an_id_recorded_for_another_address_is_refused(tmp_path):
    taken = identity.HubLearner("anna-0000abcd", "Anna A", "anna@one.example", "1", "m")
    identity.record_learner(tmp_path, taken)
    other = identity.HubLearner("anna-0000abcd", "Anna B", "anna@two.example", "2", "m")
    with pytest.raises(identity.IdentityError, match="already recorded for another e-mail"):
        identity.record_learner(tmp_path, other)
    assert known_students(tmp_path)["anna-0000abcd"]["email"] == "anna@one.example"


def test_students_csv_of_before_the_hub_is_read_and_kept(tmp_path):
    (tmp_path / "students.csv").write_text(
        "student_id,full_name,moodle_folder\np1000002,Mikko Nieminen,Mikko_1000002_\n",
        encoding="utf-8",
    )
    identity.record_learner(
        tmp_path, identity.learner_from_claims({"email": "a@b.example", "sub": "3"})
    )
    rows = known_students(tmp_path)
    assert rows["p1000002"]["full_name"] == "Mikko Nieminen" and rows["p1000002"]["email"] == ""
    assert len(rows) == 2


# --- the Moodle worksheet, matched by e-mail for hub learners ------------------------------------

HUB_AINO = "aino_virtanen-c7bc546e"
HEADER = [
    "Identifier",
    "Full name",
    "Email address",
    "Status",
    "Grade",
    "Maximum Grade",
    "Last modified (grade)",
    "Feedback comments",
]


def _sheet(path: Path, rows, header=HEADER) -> Path:
    lines = [",".join(header)] + [
        f"Participant {n},{name},{email},Submitted,,10.00,-," for n, name, email in rows
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _grades(*rows, emails=None) -> reports.ModuleGrades:
    return reports.ModuleGrades(
        "01_intro",
        pd.DataFrame(rows, columns=["student", "score", "max_score", "needs_manual_grade"]),
        pd.DataFrame(columns=["student", "check", "score", "max_score"]),
        emails=emails or {},
    )


def test_worksheet_rows_of_hub_learners_are_found_by_email(tmp_path):
    sheet = _sheet(
        tmp_path / "sheet.csv",
        [
            ("1000001", "Pekka Korhonen", "pekka@example.fi"),
            ("5550123", "Aino Virtanen", "Aino.Virtanen@Example.FI"),  # as Moodle spells it
            ("5550124", "Ville Koski", "ville@example.fi"),
        ],
    )
    grades = _grades(
        ("p1000001", 5.0, 10.0, False),
        (HUB_AINO, 8.0, 10.0, False),
        emails={"aino.virtanen@example.fi": HUB_AINO},
    )
    filled = reports.fill_moodle_worksheet(grades, sheet, tmp_path / "out.csv")
    assert sorted(filled.filled) == sorted(["p1000001", HUB_AINO])
    assert filled.left_out == []
    out = (tmp_path / "out.csv").read_text(encoding="utf-8").splitlines()
    assert out[2].startswith("Participant 5550123,Aino Virtanen,Aino.Virtanen@Example.FI,")
    assert ",8.00,10.00," in out[2] and "Autograded 8 / 10 points." in out[2]
    assert out[3].endswith("Submitted,,10.00,-,")  # not graded: untouched


def test_email_column_in_another_language_is_found_by_its_values(tmp_path):
    header = ["Identifierare", "Hela namnet", "E-postadress", "Status", "Betyg", "Maxbetyg"]
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(
        ",".join(header) + "\nDeltagare5550123,Aino Virtanen,aino.virtanen@example.fi,-,,10\n",
        encoding="utf-8",
    )
    grades = _grades((HUB_AINO, 4.0, 10.0, False), emails={"aino.virtanen@example.fi": HUB_AINO})
    filled = reports.fill_moodle_worksheet(grades, sheet, tmp_path / "out.csv")
    assert filled.filled == [HUB_AINO]


def test_a_worksheet_without_emails_says_which_moodle_setting_shows_them(tmp_path):
    header = [h for h in HEADER if h != "Email address"]
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(
        ",".join(header) + "\nParticipant 5550123,Aino Virtanen,Submitted,,10.00,-,\n",
        encoding="utf-8",
    )
    grades = _grades((HUB_AINO, 4.0, 10.0, False), emails={"aino.virtanen@example.fi": HUB_AINO})
    filled = reports.fill_moodle_worksheet(grades, sheet, tmp_path / "out.csv")
    assert filled.left_out == [HUB_AINO]
    assert any("Show user identity" in note for note in filled.notes)


def test_unconfigured_lti_names_every_missing_setting():
    missing = CourseAuthenticator().missing_lti_settings()
    assert missing == [
        f"CourseAuthenticator.{name}"
        for name in ("issuer", "client_id", "deployment_ids", "authorize_url", "jwks_endpoint")
    ]


# --- a real hub and a real launch ----------------------------------------------------------------

CLIENT_ID = "hub-client-1"
DEPLOYMENT_ID = "3"
TEACHER = "lti-test-teacher"
USERS = {
    "aino": PlatformUser("1001", "Aino", "Virtanen", "Aino.Virtanen@Example.FI"),
    "bo": PlatformUser("1002", "Bo", "Ek", "bo.ek@uni.example"),
    "eve": PlatformUser("1003", "Eve", "Mallory", "eve.mallory@uni.example"),
    "quiet": PlatformUser("1004", "Quiet", "Learner", None),
}
LEARNER_IDS = {
    hint: identity.student_id_for_email(u.email or "") for hint, u in USERS.items() if u.email
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _remove_account(name: str) -> None:
    with contextlib.suppress(KeyError):
        if pwd.getpwnam(name).pw_uid >= 1000:
            subprocess.run(["userdel", "-r", name], capture_output=True, check=False)


def _exits(pid: int, within: float) -> bool:
    """Whether the process is gone (or a zombie) within ``within`` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.1)
    return False


HUB_CONFIG = """
c = get_config()  # noqa: F821
c.JupyterHub.bind_url = "{url}"
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{hub_port}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api_port}"
c.ConfigurableHTTPProxy.command = [{chp!r}]
c.ConfigurableHTTPProxy.pid_file = {proxy_pid!r}
c.JupyterHub.db_url = "sqlite:///{tmp}/hub.sqlite"
c.JupyterHub.cookie_secret_file = {cookie!r}
c.JupyterHub.authenticator_class = "servicecourse.hub.authenticator.CourseAuthenticator"
c.CourseAuthenticator.issuer = {issuer!r}
c.CourseAuthenticator.client_id = {{{client_id!r}}}
c.CourseAuthenticator.deployment_ids = {{{deployment_id!r}}}
c.CourseAuthenticator.authorize_url = {authorize_url!r}
c.CourseAuthenticator.jwks_endpoint = {jwks_url!r}
c.CourseAuthenticator.grading_course = {course!r}
c.CourseAuthenticator.create_system_users = True
c.CourseAuthenticator.allowed_users = {{{teacher!r}}}
c.JupyterHub.services = [{{"name": "lti-test", "api_token": {token!r}}}]
c.JupyterHub.load_roles = [
    {{"name": "lti-test", "scopes": ["read:users", "list:users"], "services": ["lti-test"]}}
]
"""


class Hub:
    def __init__(self, url: str, token: str, log: Path, course: Path, teacher_password: str):
        self.url, self.token, self.log, self.course = url, token, log, course
        self.teacher_password = teacher_password

    def user(self, name: str) -> requests.Response:
        return requests.get(
            f"{self.url}/hub/api/users/{name}",
            headers={"Authorization": f"token {self.token}"},
            timeout=10,
        )

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@pytest.fixture(scope="module")
def platform():
    with LTIPlatform() as running:
        running.users.update(USERS)
        yield running


@pytest.fixture(scope="module")
def hub(platform, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hub")
    url = f"http://127.0.0.1:{_free_port()}"
    platform.tool = ToolRegistration(
        client_id=CLIENT_ID,
        deployment_id=DEPLOYMENT_ID,
        initiate_login_url=f"{url}/hub/lti13/oauth_login",
        redirect_uris=[f"{url}/hub/lti13/oauth_callback"],
        target_link_uri=f"{url}/hub/home",  # the home page: no server is spawned
    )
    for name in [TEACHER, *LEARNER_IDS.values()]:
        _remove_account(name)  # left by an interrupted run
    password = secrets.token_urlsafe(16)
    subprocess.run(["useradd", "--create-home", TEACHER], check=True)
    subprocess.run(["chpasswd"], input=f"{TEACHER}:{password}", text=True, check=True)
    token = secrets.token_hex(32)
    config = tmp / "jupyterhub_config.py"
    config.write_text(
        HUB_CONFIG.format(
            url=url,
            hub_port=_free_port(),
            proxy_api_port=_free_port(),
            chp=str(repo_root() / "node_modules" / ".bin" / "configurable-http-proxy"),
            proxy_pid=str(tmp / "proxy.pid"),
            tmp=tmp,
            cookie=str(tmp / "cookie_secret"),
            issuer=platform.issuer,
            client_id=CLIENT_ID,
            deployment_id=DEPLOYMENT_ID,
            authorize_url=platform.authorize_url,
            jwks_url=platform.jwks_url,
            course=str(tmp / "course"),
            teacher=TEACHER,
            token=token,
        ),
        encoding="utf-8",
    )
    log = tmp / "hub.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "jupyterhub", "-f", str(config)],
            cwd=tmp,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = Hub(url, token, log, tmp / "course", password)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"the hub exited ({process.returncode}):\n{running.log_text()[-3000:]}")
            with contextlib.suppress(requests.ConnectionError):
                if requests.get(f"{url}/hub/api", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"the hub did not answer in 60 s:\n{running.log_text()[-3000:]}")
            time.sleep(0.2)
        yield running
    finally:
        proxy_pid = (tmp / "proxy.pid").read_text().strip() if (tmp / "proxy.pid").exists() else ""
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        for name in [TEACHER, *LEARNER_IDS.values()]:
            _remove_account(name)
        if proxy_pid and not _exits(int(proxy_pid), within=10):
            os.kill(int(proxy_pid), signal.SIGKILL)
            pytest.fail("configurable-http-proxy outlived the hub's SIGTERM by 10 s")


def begin_launch(platform, login_hint: str):
    """A browser's way to the launch: Moodle's page, the hub's login initiation, Moodle's
    authorisation; returns the session (with the hub's state cookies) and the form Moodle would
    post to the hub."""
    session = requests.Session()
    action, fields = read_form(session.get(platform.launch_url(login_hint), timeout=10).text)
    to_platform = session.post(action, data=fields, allow_redirects=False, timeout=10)
    assert to_platform.status_code == 302, to_platform.text
    answer = session.get(to_platform.headers["Location"], timeout=10)
    assert answer.status_code == 200, answer.text
    action, fields = read_form(answer.text)
    return session, action, fields


def post_launch(session, action, fields) -> requests.Response:
    return session.post(action, data=fields, allow_redirects=False, timeout=10)


def resign(platform, token: str, key=None, **changes) -> str:
    claims = jwt.decode(token, options={"verify_signature": False})
    claims.update(changes)
    return platform.sign(claims, key=key)


def test_a_moodle_launch_logs_the_learner_in_under_the_student_id(hub, platform, offline_page):
    """In Chromium: the course link, two auto-posted forms, and the learner is on the hub."""
    student_id = LEARNER_IDS["aino"]
    offline_page.goto(platform.launch_url("aino"))
    offline_page.wait_for_url(f"{hub.url}/hub/home", timeout=20_000)
    assert student_id in offline_page.content()
    assert offline_page.refused == []
    assert hub.user(student_id).json()["name"] == student_id
    assert f"User logged in: {student_id}" in hub.log_text()
    account = pwd.getpwnam(student_id)  # created by the hub for the learner
    assert account.pw_uid >= 1000 and Path(account.pw_dir).is_dir()
    row = known_students(hub.course)[student_id]
    assert row["email"] == "aino.virtanen@example.fi" and row["full_name"] == "Aino Virtanen"
    assert row["lti_sub"] == "1001" and row["lti_issuer"] == platform.issuer


REFUSED = {
    "bad signature": (lambda p, t: resign(p, t, key=new_key()), 400),
    "wrong audience": (lambda p, t: resign(p, t, aud="another-tool"), 401),
    "expired token": (
        lambda p, t: resign(p, t, iat=int(time.time()) - 120, exp=int(time.time()) - 60),
        400,
    ),
    "wrong issuer": (lambda p, t: resign(p, t, iss="https://moodle.example.org"), 400),
    "wrong deployment": (lambda p, t: resign(p, t, **{LTI + "deployment_id": "99"}), 401),
}


@pytest.mark.parametrize("case", REFUSED, ids=list(REFUSED))
def test_a_forged_or_stale_launch_is_refused(hub, platform, case):
    forge, status = REFUSED[case]
    session, action, fields = begin_launch(platform, "eve")
    fields["id_token"] = forge(platform, fields["id_token"])
    answer = post_launch(session, action, fields)
    assert answer.status_code == status, answer.text[-2000:]
    assert "jupyterhub-hub-login" not in answer.cookies
    assert hub.user(LEARNER_IDS["eve"]).status_code == 404


def test_a_replayed_launch_is_refused(hub, platform):
    session, action, fields = begin_launch(platform, "bo")
    captured = session.cookies.get_dict()  # what someone who saw the request could send again
    first = post_launch(session, action, fields)
    assert first.status_code == 302 and first.headers["Location"].endswith("/hub/home")
    assert hub.user(LEARNER_IDS["bo"]).status_code == 200
    replay = requests.Session()
    replay.cookies.update(captured)
    again = post_launch(replay, action, fields)
    assert again.status_code == 400
    assert "already used" in again.text
    assert "jupyterhub-hub-login" not in again.cookies


def test_a_launch_without_email_is_refused_with_the_setting_to_change(hub, platform):
    session, action, fields = begin_launch(platform, "quiet")
    answer = post_launch(session, action, fields)
    assert answer.status_code == 400
    assert "Share launcher&#39;s email with tool" in answer.text or (
        "Share launcher's email with tool" in answer.text
    )


def test_a_login_initiation_from_another_platform_is_refused(hub, platform):
    answer = requests.post(
        f"{hub.url}/hub/lti13/oauth_login",
        data={"iss": "https://moodle.example.org", "login_hint": "1", "target_link_uri": hub.url},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 400 and "not from https://moodle.example.org" in answer.text


def test_teachers_log_in_locally_on_the_same_hub(hub):
    session = requests.Session()
    page = session.get(f"{hub.url}/hub/login", timeout=10)
    action, fields = read_form(page.text)
    assert {"username", "password", "_xsrf"} <= set(fields)  # PAM's form, not an LTI button
    login = f"{hub.url}{action}" if action.startswith("/") else action
    wrong = session.post(
        login, data={**fields, "username": TEACHER, "password": "wrong"}, allow_redirects=False
    )
    assert wrong.status_code == 403
    right = session.post(
        login,
        data={**fields, "username": TEACHER, "password": hub.teacher_password},
        allow_redirects=False,
    )
    assert right.status_code == 302, right.text[-2000:]
    assert hub.user(TEACHER).json()["name"] == TEACHER
    assert TEACHER not in known_students(hub.course)  # teachers are not learners
    # a learner's account has no password: it cannot log in on this form
    learner = session.post(
        login,
        data={**fields, "username": LEARNER_IDS["aino"], "password": ""},
        allow_redirects=False,
    )
    assert learner.status_code == 403
