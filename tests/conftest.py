"""Shared fixtures: the project paths, an isolated nbgrader course, and headless Chromium."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from pathlib import Path

import pytest

from servicecourse.classroom.browser import CHROMIUM, launch
from servicecourse.paths import repo_root


@pytest.fixture(scope="session")
def root() -> Path:
    return repo_root()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by playwright; never a downloaded browser."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run the README's test command, which installs it")
    with sync_playwright() as p:
        instance = launch(p)
        yield instance
        instance.close()


@pytest.fixture
def offline_page(browser):
    """A page that may only reach loopback; every other request is recorded and refused."""
    context = browser.new_context()
    page = context.new_page()
    page.refused = []

    def guard(route):
        url = route.request.url
        if url.startswith(("http://127.0.0.1", "http://localhost", "ws://127.0.0.1", "data:")):
            route.continue_()
        else:
            page.refused.append(url)
            route.abort()

    page.route("**/*", guard)
    yield page
    context.close()


def copy_course(target: Path) -> Path:
    """A private nbgrader course whose sources are the real modules."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(repo_root() / "autograde" / "nbgrader_config.py", target / "nbgrader_config.py")
    (target / "source").symlink_to(repo_root() / "modules")
    return target


@pytest.fixture(scope="session")
def site(root) -> Path:
    """The public book, built once per test session (cached executions make this quick)."""
    from servicecourse.build import book

    return book.build(log=lambda *_: None)


@pytest.fixture(scope="session")
def served_site(site):
    """The built book on a loopback port, as a reader's browser would get it."""
    handler = functools.partial(QuietHandler, directory=str(site))
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


class _Server(http.server.ThreadingHTTPServer):
    # A page asks for dozens of files at once; the default backlog of 5 resets connections.
    request_queue_size = 128
    daemon_threads = True


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass
