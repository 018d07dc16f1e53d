"""A learner's workspace: answers survive a second copy, and nbgrader's Validate works there."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from conftest import copy_course

from servicecourse import grading
from servicecourse.classroom import learn
from servicecourse.paths import find_module

NOTEBOOK = "01_how_this_course_works.ipynb"


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    course = copy_course(tmp_path_factory.mktemp("learn-course"))
    grading.release([find_module("01_intro")], course)
    return course / "release"


def test_workspace_copy_never_overwrites_answers(tmp_path, release):
    workspace = tmp_path / "work"
    first = learn.prepare_workspace(workspace, release)
    assert workspace / "01_intro" / NOTEBOOK in first
    mine = workspace / "01_intro" / NOTEBOOK
    mine.write_text(mine.read_text().replace("raise NotImplementedError()", "x = 1", 1))
    again = learn.prepare_workspace(workspace, release)
    assert again == []
    assert "x = 1" in mine.read_text()
    assert (workspace / "nbgrader_config.py").exists()


def test_workspace_without_release_says_what_to_do(tmp_path):
    with pytest.raises(Exception, match="release --all"):
        learn.prepare_workspace(tmp_path / "work", tmp_path / "no-release")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _validate(base: str, token: str, path: str) -> dict:
    request = urllib.request.Request(
        f"{base}/assignments/validate",
        data=json.dumps({"path": path}).encode(),
        headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


@pytest.mark.slow
def test_validate_button_works_in_the_learners_lab(tmp_path, release):
    workspace = tmp_path / "work"
    learn.prepare_workspace(workspace, release)
    solved = workspace / "01_intro" / "solved.ipynb"
    nbformat.write(nbformat.read(find_module("01_intro").path / NOTEBOOK, as_version=4), solved)
    port, token = _free_port(), "learner-test-token"
    command = learn.lab_command(workspace, port, open_browser=False)
    command.append(f"--IdentityProvider.token={token}")
    bin_dir = str(Path(sys.executable).parent)
    env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ["PATH"])
    server = subprocess.Popen(
        command, cwd=workspace, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("JupyterLab did not start")
                time.sleep(0.5)
        blank = _validate(base, token, f"01_intro/{NOTEBOOK}")
        assert blank["success"], blank
        assert blank["value"].get("failed"), "the blank release fails validation"
        done = _validate(base, token, "01_intro/solved.ipynb")
        assert done["success"], done
        assert not done["value"].get("failed") and not done["value"].get("changed"), done
    finally:
        server.terminate()
        server.wait(timeout=30)
