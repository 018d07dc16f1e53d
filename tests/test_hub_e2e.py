"""The course hub end to end, in Chromium, on a loopback hub with users this test creates.

An instructor and two learners log in through the hub's login page. Learner A follows a
lesson's JupyterHub launch link from the built book (built with this hub's URL and the student
branch served by git on loopback) and lands in that student notebook in JupyterLab; answers
it, validates and submits through nbgrader's exchange. The instructor collects and grades with
`servicecourse autograde --exchange`, which releases the feedback; A fetches it and opens it.
Learner B reads neither A's home nor A's submission; no learner opens the formgrader or the
sources. One hub, one book build and one set of users serve the whole module.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import nbformat
import pytest
from kit import hub as kit
from kit import links

from servicecourse.build import book, student
from servicecourse.paths import find_module, repo_root

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="creates system users and runs a hub: root"),
]

MODULE = "01_intro"
LESSON = "01_how_this_course_works.ipynb"
# Served as a self-hosted GitLab would; the book's theme tells the provider from the address.
STUDENT_REPO = "gitlab/kallavesi/servicecourse-student"
STUDENT_FOLDER = STUDENT_REPO.rsplit("/", 1)[-1]  # where nbgitpuller clones it
TIMINGS: dict[str, float] = {}


# -- the world: users, a course project, the student branch on git, the book, the hub ---------
@pytest.fixture(scope="module")
def accounts():
    suffix = secrets.token_hex(3)
    learners, instructors = f"sce{suffix}-l", f"sce{suffix}-i"
    users = {"teacher": [instructors], "ada": [learners], "ben": [learners]}
    with kit.groups_and_users(
        [learners, instructors], {f"sce{suffix}{k}": v for k, v in users.items()}
    ) as made:
        by_role = {role: made[f"sce{suffix}{role}"] for role in users}
        yield learners, instructors, by_role


@pytest.fixture(scope="module")
def project():
    """A course project the instructors' group may reach (pytest's tmp is 0700)."""
    root = Path(tempfile.mkdtemp(prefix="hub-e2e-", dir="/tmp"))
    os.chmod(root, 0o755)
    # The bibliography too: the release writes citations out, as the student branch has them.
    for name in ("modules", "datasets", "book", "_config.yml"):
        (root / name).symlink_to(repo_root() / name)
    course = root / "autograde"
    course.mkdir()
    shutil.copy(repo_root() / "autograde" / "nbgrader_config.py", course / "nbgrader_config.py")
    (course / "source").symlink_to(root / "modules")
    yield root
    shutil.rmtree(root)


@pytest.fixture(scope="module")
def student_git(site, tmp_path_factory):
    """The student branch (`servicecourse branch`) in a bare repository served over http."""
    served = tmp_path_factory.mktemp("git")
    bare = served / STUDENT_REPO
    bare.parent.mkdir(parents=True)
    subprocess.run(["git", "init", "--quiet", "--bare", str(bare)], check=True)
    student.write_student_branch(repo=bare, log=lambda *_: None)
    with kit.git_server(served) as base:
        yield f"{base}/{STUDENT_REPO}"


@pytest.fixture(scope="module")
def hub_port():
    return kit.free_port_block()


@pytest.fixture(scope="module")
def launch_book(site, student_git, hub_port, tmp_path_factory) -> Path:
    """The book with this hub's launch buttons: a copy of the session's build, rebuilt with
    the two URLs (Sphinx writes the pages again; no lesson runs again)."""
    started = time.monotonic()
    base = tmp_path_factory.mktemp("launch-book")
    for folder in (".doctrees", "jupyter_execute", "html"):
        shutil.copytree(site.parent / folder, base / "_build" / folder)
    with pytest.MonkeyPatch.context() as env:
        env.setenv(book.REPOSITORY_URL_ENV, student_git)
        env.setenv(book.JUPYTERHUB_URL_ENV, f"http://127.0.0.1:{hub_port}")
        built = book.build(log=lambda *_: None, path_output=base)
    TIMINGS["book with the hub's launch buttons"] = time.monotonic() - started
    return built


@pytest.fixture(scope="module")
def hub(accounts, project, hub_port, tmp_path_factory):
    learners, instructors, _ = accounts
    tmp = tmp_path_factory.mktemp("hub")
    started = time.monotonic()
    with kit.running_hub(
        tmp,
        project / "autograde",
        learners,
        instructors,
        "--student-folder",
        STUDENT_FOLDER,
        port=hub_port,
    ) as running:
        TIMINGS["hub start"] = time.monotonic() - started
        running.project = project
        yield running
    print("\n" + "\n".join(f"{what}: {seconds:.1f} s" for what, seconds in TIMINGS.items()))


def servicecourse(hub, *args: str) -> subprocess.CompletedProcess:
    """The instructor's command line, on the hub's course and exchange."""
    env = dict(os.environ, SERVICECOURSE_ROOT=str(hub.project))
    env["SERVICECOURSE_EXCHANGE"] = str(hub.exchange)
    return subprocess.run(
        [str(Path(sys.executable).parent / "servicecourse"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.fixture(scope="module")
def released(hub):
    done = servicecourse(hub, "release", MODULE, "--exchange")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (hub.exchange / "servicecourse" / "outbound" / MODULE / LESSON).exists()


# -- the browser ------------------------------------------------------------------------------
def browser_login(browser, hub, account):
    """A fresh browser that logs in through the hub's own login page."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{hub.url}/hub/login")
    page.fill("#username_input", account.name)
    page.fill("#password_input", account.password)
    page.click("#login_submit")
    page.wait_for_url(re.compile(r".*/(spawn-pending|user|hub/home|hub/spawn).*"), timeout=60_000)
    return context, page


def api(page, method: str, path: str, body=None, form: dict | None = None) -> dict:
    """fetch() from the page, as JupyterLab calls its server (with the page's _xsrf cookie)."""
    return page.evaluate(
        """async ([method, path, body, form]) => {
            const xsrf = (document.cookie.match(/(?:^|; )_xsrf=([^;]*)/) || [])[1] || "";
            const headers = {"X-XSRFToken": decodeURIComponent(xsrf)};
            let payload = undefined;
            if (form) { payload = new URLSearchParams(form); }
            else if (body !== null) {
                payload = JSON.stringify(body); headers["Content-Type"] = "application/json";
            }
            const r = await fetch(path, {method, headers, body: payload});
            const text = await r.text();
            let json = null; try { json = JSON.parse(text); } catch (e) {}
            return {status: r.status, json, text: text.slice(0, 2000)};
        }""",
        [method, path, body, form],
    )


def launch_link(site: Path, hub_url: str) -> str:
    """The lesson page's JupyterHub button, as the built book has it."""
    module = find_module(MODULE)
    page = site / Path(student.lesson_path(module, module.path / LESSON)).with_suffix(".html")
    buttons = [h.replace("&amp;", "&") for h in links.links(page) if h.startswith(hub_url)]
    assert len(buttons) == 1, f"{page.name}: JupyterHub buttons {buttons}"
    return buttons[0]


def solved(student_nb: dict) -> dict:
    """The student notebook with each answer cell given the source's solution."""
    source = nbformat.read(find_module(MODULE).path / LESSON, as_version=4)
    solutions = {}
    for cell in source.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            lines = [ln for ln in cell.source.splitlines() if "SOLUTION ###" not in ln]
            lines = [ln for ln in lines if not re.match(r"\s*#+ (BEGIN|END) SOLUTION", ln)]
            solutions[meta["grade_id"]] = "\n".join(lines)
    answered = 0
    for cell in student_nb["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
            cell["source"] = solutions[grade_id]
            answered += 1
    assert answered, "the lesson has exercises"
    return student_nb


@pytest.fixture(scope="module")
def learner_a(browser, hub, accounts, launch_book, released):
    """Ada: login, the book's launch link, answer, validate, submit."""
    _, _, users = accounts
    ada = users["ada"]
    context, page = browser_login(browser, hub, ada)
    link = launch_link(launch_book, hub.url)
    query = parse_qs(urlsplit(link).query)
    notebook = query["urlpath"][0].removeprefix("lab/tree/")
    started = time.monotonic()
    page.goto(link, timeout=120_000)
    page.wait_for_url(f"**/user/{ada.name}/lab/tree/{notebook}*", timeout=240_000)
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=120_000)
    TIMINGS["launch link to the open notebook"] = time.monotonic() - started
    current = "#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel"
    page.wait_for_function(f"document.querySelector({current!r})?.textContent.length > 0")
    tab = page.locator(current).first.inner_text()
    base = f"/user/{ada.name}"
    got = api(page, "GET", f"{base}/api/contents/{notebook}?content=1")
    assert got["status"] == 200, got
    answer = solved(got["json"]["content"])
    put = api(
        page,
        "PUT",
        f"{base}/api/contents/{notebook}",
        {"type": "notebook", "format": "json", "content": answer},
    )
    assert put["status"] == 200, put
    started = time.monotonic()
    validation = api(page, "POST", f"{base}/assignments/validate", {"path": notebook})
    TIMINGS["validate"] = time.monotonic() - started
    submitted = api(
        page,
        "POST",
        f"{base}/assignments/submit",
        form={"course_id": "servicecourse", "assignment_id": MODULE},
    )
    yield {
        "account": ada,
        "context": context,
        "page": page,
        "notebook": notebook,
        "tab": tab,
        "validation": validation,
        "submitted": submitted,
        "query": query,
    }
    context.close()


def test_learner_lands_in_the_student_notebook_from_the_books_launch_link(learner_a, hub):
    assert learner_a["query"]["branch"] == [student.STUDENT_BRANCH]
    assert learner_a["notebook"] == f"{STUDENT_FOLDER}/_pages/{MODULE}/{LESSON}"
    assert learner_a["tab"] == LESSON
    home = Path(f"/home/{learner_a['account'].name}")
    pulled = nbformat.read(home / learner_a["notebook"], as_version=4)
    assert not any("BEGIN SOLUTION" in c.source for c in pulled.cells), "the student version"
    assert os.stat(home).st_uid == learner_a["account"].uid
    assert oct(os.stat(home).st_mode & 0o777) == "0o700", "a private home"


def test_learner_validates_and_submits_through_the_exchange(learner_a, hub):
    validation = learner_a["validation"]
    assert validation["status"] == 200 and validation["json"]["success"], validation
    assert not validation["json"]["value"].get("failed"), validation["json"]["value"]
    submitted = learner_a["submitted"]
    assert submitted["status"] == 200, submitted
    assert submitted["json"]["success"], submitted
    statuses = {(a["assignment_id"], a["status"]) for a in submitted["json"]["value"]}
    assert (MODULE, "submitted") in statuses, statuses
    inbound = hub.exchange / "servicecourse" / "inbound"
    mine = [p for p in inbound.iterdir() if p.name.startswith(f"{learner_a['account'].name}+")]
    assert len(mine) == 1 and (mine[0] / LESSON).exists()
    assert mine[0].stat().st_uid == learner_a["account"].uid, "submitted as the learner"


@pytest.fixture(scope="module")
def graded(learner_a, hub):
    started = time.monotonic()
    done = servicecourse(
        hub, "autograde", MODULE, "--exchange", "--no-progress", "--notebook", LESSON[:-6]
    )
    TIMINGS["collect, grade, feedback, release (autograde --exchange)"] = time.monotonic() - started
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def test_instructor_grades_and_learner_fetches_feedback(graded, learner_a, hub):
    name = learner_a["account"].name
    assert f"collected {MODULE} from the exchange" in graded
    assert "released to the exchange for 1 learner(s)" in graded
    page = learner_a["page"]
    base = f"/user/{name}"
    fetched = api(
        page,
        "POST",
        f"{base}/assignments/fetch_feedback",
        form={"course_id": "servicecourse", "assignment_id": MODULE},
    )
    assert fetched["status"] == 200, fetched
    folder = f"{STUDENT_FOLDER}/_pages/{MODULE}/feedback"
    listing = api(page, "GET", f"{base}/api/contents/{folder}")
    assert listing["status"] == 200, listing
    (stamp,) = [item["name"] for item in listing["json"]["content"]]
    page.goto(f"{hub.url}{base}/files/{folder}/{stamp}/{LESSON[:-6]}.html")
    text = page.inner_text("body")
    assert "Score" in text or "score" in text, text[:500]
    assert "BEGIN HIDDEN TESTS" not in page.content()


def test_instructor_logs_in_and_has_the_formgrader(browser, hub, accounts, released):
    _, _, users = accounts
    context, page = browser_login(browser, hub, users["teacher"])
    try:
        page.goto(f"{hub.url}/user/{users['teacher'].name}/lab", timeout=180_000)
        page.wait_for_selector(".jp-LauncherCard, .jp-Launcher", timeout=180_000)
        base = f"/user/{users['teacher'].name}/formgrader"
        formgrader = page.goto(f"{hub.url}{base}")
        assert formgrader.status == 200 and "Manage Assignments" in page.content()
        listed = api(page, "GET", f"{base}/api/assignments")
        assert listed["status"] == 200, listed
        names = {a["name"] for a in listed["json"]}
        assert MODULE in names, "the formgrader reads the course's gradebook"
    finally:
        context.close()


def test_learners_cannot_open_the_formgrader_or_the_sources(learner_a, hub):
    page = learner_a["page"]
    name = learner_a["account"].name
    response = page.goto(f"{hub.url}/user/{name}/formgrader")
    assert response.status == 404
    sources = [
        find_module(MODULE).path / LESSON,
        hub.project / "autograde" / "nbgrader_config.py",
        hub.project / "autograde" / "source" / MODULE / LESSON,
        kit.REPO / "servicecourse" / "classroom" / "measures" / "__init__.py",
    ]
    for path in sources:
        assert _read_as(learner_a["account"], path) == "PermissionError", path


def test_learner_b_reads_neither_a_home_nor_a_submission(browser, hub, accounts, learner_a):
    _, _, users = accounts
    ben, ada = users["ben"], learner_a["account"]
    context, page = browser_login(browser, hub, ben)
    try:
        page.goto(f"{hub.url}/user/{ben.name}/lab", timeout=180_000)
        page.wait_for_selector(".jp-Launcher", timeout=180_000)
        # Through B's own server: its contents API stops at B's home.
        for path in (f"../{ada.name}", f"../../home/{ada.name}", "/etc"):
            got = api(page, "GET", f"/user/{ben.name}/api/contents/{path}")
            assert got["status"] in (403, 404), (path, got)
        # nbgrader in B's server lists B's submissions only.
        listed = api(page, "GET", f"/user/{ben.name}/assignments?course_id=servicecourse")
        assert listed["status"] == 200 and listed["json"]["success"], listed
        assert ada.name not in json.dumps(listed["json"])
        # A's server refuses B (JupyterHub's per-user access).
        other = page.goto(f"{hub.url}/user/{ada.name}/api/contents")
        assert other.status in (403, 404) or "/hub/" in page.url
    finally:
        context.close()
    # Directly as B's uid.
    inbound = hub.exchange / "servicecourse" / "inbound"
    home = Path(f"/home/{ada.name}")
    assert _read_as(ben, home / learner_a["notebook"]) == "PermissionError"
    assert _list_as(ben, home) == "PermissionError"
    assert _list_as(ben, inbound) == "PermissionError", "the inbound is write-only for learners"
    feedback = hub.exchange / "servicecourse" / "feedback"
    assert _list_as(ben, feedback) == "PermissionError"


def _as(account, code: str, path: Path) -> str:
    done = subprocess.run(
        ["runuser", "-u", account.name, "--", sys.executable, "-c", code, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.stdout.strip() or done.stderr.strip()[-300:]


def _read_as(account, path: Path) -> str:
    return _as(
        account,
        "import sys\ntry:\n open(sys.argv[1], 'rb').read(1); print('read')\n"
        "except OSError as e: print(type(e).__name__)",
        path,
    )


def _list_as(account, path: Path) -> str:
    return _as(
        account,
        "import os, sys\ntry:\n print(len(os.listdir(sys.argv[1])))\n"
        "except OSError as e: print(type(e).__name__)",
        path,
    )


def test_hub_pages_pass_axe(browser, hub, accounts):
    """The accessibility gate of every page the course serves, on the hub's own pages."""
    from kit import axe

    _, _, users = accounts
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(f"{hub.url}/hub/login")
        axe.assert_accessible(page, "the hub's login page")
    finally:
        context.close()
    context, page = browser_login(browser, hub, users["teacher"])
    try:
        page.goto(f"{hub.url}/hub/home")
        axe.assert_accessible(page, "the hub's home page")
    finally:
        context.close()
