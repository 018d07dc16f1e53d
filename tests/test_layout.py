"""The house: one object owns every path, and nothing the commands write can be committed.

Learners' names, scores and submissions are written by grading; `git add -A` must never pick
them up. The check is made twice: every output the layout names is ignored by git, and a real
grading and book build in a fresh clone leave `git status` clean.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from servicecourse.paths import CourseLayout, GradingCourse, layout

pytestmark = pytest.mark.slow


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


def test_every_output_of_the_layout_is_ignored_by_git(root):
    outputs = [p.relative_to(root).as_posix() for p in CourseLayout(root).outputs()]
    # A path inside each output folder too: a folder rule must cover its contents.
    probes = outputs + [f"{p}/x/learner.ipynb" for p in outputs]
    ignored = subprocess.run(
        ["git", "-C", str(root), "check-ignore", "--no-index", "--stdin"],
        input="\n".join(probes),
        capture_output=True,
        text=True,
    ).stdout.split()
    assert sorted(set(probes) - set(ignored)) == []


def test_the_course_config_and_sources_stay_tracked(root):
    tracked = set(_git(root, "ls-files").split())
    grading = GradingCourse(root / "autograde")
    assert grading.config.relative_to(root).as_posix() in tracked
    assert "autograde/source" in tracked
    assert not any(p.endswith(".egg-info") or ".egg-info/" in p for p in tracked)


def test_nbgrader_folders_are_built_one_way(tmp_path):
    course = GradingCourse(tmp_path)
    assert course.folder("submitted", "s1", "01_intro") == tmp_path / "submitted/s1/01_intro"
    assert course.folder("release", module="01_intro") == tmp_path / "release/01_intro"
    with pytest.raises(ValueError, match="unknown nbgrader step"):
        course.folder("graded")


def test_gradebook_url_comes_from_the_environment_or_sits_beside_the_config(tmp_path, monkeypatch):
    monkeypatch.delenv("SERVICECOURSE_GRADEBOOK_URL", raising=False)
    assert GradingCourse(tmp_path).gradebook_url() == f"sqlite:///{tmp_path / 'gradebook.db'}"
    monkeypatch.setenv("SERVICECOURSE_GRADEBOOK_URL", "postgresql+psycopg://h/db")
    assert GradingCourse(tmp_path).gradebook_url() == "postgresql+psycopg://h/db"


@pytest.fixture(scope="module")
def used_clone(tmp_path_factory, root):
    """A fresh clone of the committed project in which a class is graded and the course built."""
    clone = tmp_path_factory.mktemp("clone") / "course"
    subprocess.run(["git", "clone", "--quiet", "--shared", str(root), str(clone)], check=True)
    # Work not yet committed is what is under test: bring the working tree's tracked files.
    for path in _git(root, "ls-files", "--modified", "--others", "--exclude-standard").split():
        source = root / path
        if source.is_file():
            (clone / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / path)
    for path in _git(root, "ls-files", "--deleted").split():
        (clone / path).unlink(missing_ok=True)
    who = ["-c", "user.name=test", "-c", "user.email=test@example.org"]
    _git(clone, "add", "-A")
    _git(clone, *who, "commit", "--quiet", "--allow-empty", "-m", "the working tree")
    # What set-up installs, and the book's execution cache (hard links: quick, and read-only
    # use), so that the build does not execute every lesson again.
    here = layout()
    for folder in (here.node_modules, here.cache):
        if folder.is_dir():
            subprocess.run(["cp", "-al", str(folder), str(clone)], check=True)
    env = {**os.environ, "SERVICECOURSE_ROOT": str(clone)}
    env.pop("SERVICECOURSE_GRADEBOOK_URL", None)
    cli = [sys.executable, "-m", "servicecourse.cli"]
    release = clone / "autograde" / "release" / "01_intro"
    subprocess.run([*cli, "release", "01_intro"], env=env, check=True, capture_output=True)
    learners = tmp_path_factory.mktemp("learners")
    lesson = sorted(release.glob("*.ipynb"))[0]
    for student in ("ada", "grace"):
        (learners / student / "01_intro").mkdir(parents=True)
        nb = nbformat.read(lesson, as_version=4)
        nbformat.write(nb, learners / student / "01_intro" / lesson.name)
    graded = subprocess.run(
        [*cli, "autograde", "01_intro", "--submissions", str(learners), "--no-progress"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert graded.returncode == 0, graded.stdout + graded.stderr
    built = subprocess.run([*cli, "build"], env=env, capture_output=True, text=True)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    return clone


def test_grading_and_building_leave_git_status_clean(used_clone):
    grading = GradingCourse(used_clone / "autograde")
    assert (grading.reports / "summary.html").exists()
    assert (grading.state / "01_intro").is_dir()
    assert (CourseLayout(used_clone).html / "index.html").exists()
    status = _git(used_clone, "status", "--porcelain", "--untracked-files=all")
    assert status.splitlines() == []


def test_the_learner_toolbox_never_imports_the_instructor_tooling(root):
    """Lessons import the toolbox; the book's execution cache relies on this too."""
    package = root / "servicecourse"
    rooms = CourseLayout.TOOLING_ROOMS
    toolbox = sorted(
        ".".join(p.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
        for p in package.rglob("*.py")
        if "__pycache__" not in p.parts
        and p.relative_to(package).parts[0] not in rooms
        and p.name != "cli.py"
    )
    code = (
        "import importlib, sys\n"
        f"for name in {toolbox!r}: importlib.import_module(name)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[1:2] and m.split('.')[1] in {rooms!r}"
        " and m.startswith('servicecourse.')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert len(toolbox) > 10
    assert done.stdout.strip() == "[]"
