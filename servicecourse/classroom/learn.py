"""A learner's workspace: the student release in a folder of one's own, opened in JupyterLab.

Copying never overwrites a notebook that is already there, so a learner who runs the command
again keeps every answer written so far.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from ..paths import CourseError, layout

LEARNER_CONFIG = '''"""A learner's nbgrader settings, written by `servicecourse learn`."""
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "servicecourse"
c.Exchange.root = {exchange!r}
c.Exchange.path_includes_course = True
c.Execute.timeout = 120
'''

# Learners validate and use the Assignments tab; grading and course management are not theirs.
INSTRUCTOR_EXTENSIONS = (
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.course_list",
)


def default_workspace() -> Path:
    return layout().workspace


def write_learner_config(workspace: Path, exchange: Path | None = None) -> Path:
    """So that the Assignments tab and `nbgrader fetch/submit` find the course's exchange."""
    workspace.mkdir(parents=True, exist_ok=True)
    config = workspace / "nbgrader_config.py"
    config.write_text(LEARNER_CONFIG.format(exchange=str(exchange or layout().grading.exchange)))
    return config


def prepare_workspace(workspace: Path, release: Path | None = None) -> list[Path]:
    """Copy what is new in the release into the workspace; return the files copied."""
    release = release or layout().grading.release
    modules = sorted(p for p in release.iterdir() if p.is_dir()) if release.is_dir() else []
    if not modules:
        raise CourseError(
            f"no student release in {release}: run `servicecourse release --all` first"
        )
    copied = []
    for module in modules:
        for source in sorted(module.rglob("*")):
            target = workspace / module.name / source.relative_to(module)
            if source.is_file() and not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
                copied.append(target)
    write_learner_config(workspace)
    return copied


def lab_command(workspace: Path, port: int, open_browser: bool) -> list[str]:
    command = [
        str(Path(sys.executable).parent / "jupyter-lab"),
        f"--ServerApp.root_dir={workspace}",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
    ]
    for name in INSTRUCTOR_EXTENSIONS:
        command += ["--ServerApp.jpserver_extensions", f"{name}=False"]
    if not open_browser:
        command.append("--no-browser")
    if os.geteuid() == 0:
        command.append("--allow-root")  # containers and CI machines often run as root
    return command


def open_lab(workspace: Path, port: int = 8888, open_browser: bool = True) -> int:
    copied = prepare_workspace(workspace)
    print(f"workspace {workspace}: {len(copied)} new file(s) copied, your own work left as it was")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    return subprocess.call(lab_command(workspace, port, open_browser), cwd=workspace, env=env)
