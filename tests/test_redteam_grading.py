"""Red team: learner code that tries to subvert, escape or stall grading.

One synthetic module (value, table, function and lesson-data answers) is graded once as a
class of hostile learners; each test then checks one learner's result. Every attack here once
worked against nbgrader's own way of running tests in the learner's kernel.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from kit.synthetic import answer_cell, synthetic_course, test_cell
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from servicecourse import grading
from servicecourse.grading import pipeline, sandbox
from servicecourse.paths import GradingCourse, GradingLimits, repo_root

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        sandbox.sandbox_problem() is not None, reason="no sandbox: make grading-tools"
    ),
]

NAME = "99_redteam"
LESSON = "01_attacks.ipynb"
LIMITS = GradingLimits(
    cell_seconds=20, notebook_seconds=120, memory_mb=1536, disk_mb=32, processes=24, files=2000
)


def source_notebook():
    return new_notebook(
        cells=[
            new_markdown_cell("# Attacks\n\nA synthetic lesson for the red-team tests."),
            new_code_cell(
                "import os\nimport pandas as pd\n\nrates = pd.Series([0.5, 0.25], index=['a', 'b'])"
                # The tests run this again in their own kernel: it too must be sandboxed.
                f"\nin_sandbox = not os.path.exists({str(repo_root() / 'autograde')!r})"
            ),
            answer_cell("total", "total = 42"),
            test_cell(
                "test_total",
                'assert isinstance(total, int), "total should be a whole number"',
                "assert total == 42, 'count again'",
            ),
            answer_cell(
                "route",
                "def route(change):\n"
                "    return 'cab' if change['impact'] == 'wide' else 'change manager'",
            ),
            test_cell(
                "test_route",
                'assert callable(route), "route should be a function"',
                "assert route({'impact': 'wide'}) == 'cab'\n"
                "assert route({'impact': 'low'}) == 'change manager'",
            ),
            answer_cell("table", "table = pd.DataFrame({'x': [1, 2]})"),
            test_cell(
                "test_table",
                'assert isinstance(table, pd.DataFrame), "table should be a DataFrame"',
                "assert table['x'].sum() == 3\nassert list(table.columns) == ['x']\n"
                "assert in_sandbox",
            ),
            answer_cell("share", "share = rates['a']"),
            test_cell(
                "test_share",
                'assert isinstance(share, float), "share should be a number"',
                "assert abs(share - rates.max()) < 1e-9",
            ),
        ],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )


MAX_AUTO = 8.0


def _release_copy(course: Path) -> nbformat.NotebookNode:
    return nbformat.read(GradingCourse(course).folder("release", module=NAME) / LESSON, 4)


def _answered(course: Path) -> nbformat.NotebookNode:
    """The release with the reference answers typed in."""
    nb = _release_copy(course)
    solutions = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in source_notebook().cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in solutions:
            cell.source = "\n".join(
                line for line in solutions[gid].splitlines() if "###" not in line
            )
    return nb


def _with_first(nb, code: str, at: int = 1):
    nb.cells.insert(at, new_code_cell(code))
    return nb


# Attacks on blank answers: each once scored marks. Name -> learner code put before the answers.
BLANK_ATTACKS = {
    "input_transformer": (
        "ip = get_ipython()\nip.input_transformers_post.append(lambda lines: ['pass\\n'])"
    ),
    "ast_transformer": (
        "import ast\n"
        "class Blank(ast.NodeTransformer):\n"
        "    def visit_Module(self, node):\n"
        "        node.body = []\n"
        "        return node\n"
        "get_ipython().ast_transformers.append(Blank())"
    ),
    "patched_run_cell": (
        "ip = get_ipython()\n"
        "real = ip.run_cell\n"
        "ip.run_cell = lambda raw_cell, *a, **k: real('pass', *a, **k)"
    ),
    "equal_to_anything": (
        "class Anything(int):\n"
        "    def __eq__(self, other): return True\n"
        "    __hash__ = int.__hash__\n"
        "class AnyFrame:\n"
        "    def __eq__(self, other): return True\n"
        "    def __getitem__(self, key): return self\n"
        "    def sum(self): return Anything(3)\n"
        "total = Anything(1)\n"
        "table = AnyFrame()\n"
        "share = Anything(0)\n"
        "route = lambda change: Anything(0)"
    ),
    "fake_result_before_each_test": (
        "from IPython.display import display\n"
        "get_ipython().events.register('pre_run_cell', lambda *a: display(1.0))"
    ),
    "settrace_reads_the_asserts": (
        "import sys\n"
        "seen = []\n"
        "def spy(frame, event, arg):\n"
        "    seen.append(frame.f_code.co_filename)\n"
        "    return spy\n"
        "sys.settrace(spy)\n"
        "get_ipython().events.register('pre_run_cell', lambda info: seen.append(info.raw_cell))"
    ),
    "patched_course_module": (
        "import pandas as pd\n"
        "pd.DataFrame.__eq__ = lambda self, other: True\n"
        "pd.Series.max = lambda self, *a, **k: 0\n"
        "import builtins\n"
        "builtins.isinstance = lambda obj, cls: True\n"
        "builtins.callable = lambda obj: True"
    ),
}

# Attacks that must not cost a correct notebook its marks, and must leave nothing on the host.
CORRECT_ATTACKS = {
    "symlinks_to_host_files": (
        "import os\n"
        f"os.symlink({str(repo_root() / 'autograde' / 'nbgrader_config.py')!r}, 'config.py')\n"
        "os.symlink('/etc/passwd', 'passwd.txt')\n"
        "os.symlink('..', 'up')"
    ),
    "prints_its_input_history": "print(In)\nprint(Out)",
    "exit_hook_writes_history": (
        "import atexit\n"
        "atexit.register(lambda: open('history.txt', 'w').write(str(get_ipython()"
        ".history_manager.input_hist_raw)))"
    ),
    "fills_the_disk": (
        "try:\n"
        "    with open('big.bin', 'wb') as f:\n"
        "        for _ in range(200):\n"
        "            f.write(b'0' * 1024 * 1024)\n"
        "except OSError as err:\n"
        "    print('disk:', err)"
    ),
    "fills_tmp": (
        "try:\n"
        "    with open('/tmp/big.bin', 'wb') as f:\n"
        "        for _ in range(200):\n"
        "            f.write(b'0' * 1024 * 1024)\n"
        "except OSError as err:\n"
        "    print('tmp:', err)"
    ),
}

# Attacks the watchdog stops; the other cells are still graded in a new kernel.
STOPPED_ATTACKS = {
    "many_processes": (
        "import subprocess, time\n"
        "kids = [subprocess.Popen(['sleep', '30']) for _ in range(60)]\n"
        "time.sleep(15)"
    ),
    "many_files": (
        "import os\n"
        "os.makedirs('many', exist_ok=True)\n"
        "for i in range(20000):\n"
        "    open(f'many/{i}', 'w').close()\n"
        "import time\n"
        "time.sleep(15)"
    ),
}


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    """One class: the reference, the blank release, and every attack, graded once."""
    root = tmp_path_factory.mktemp("redteam")
    course, module = synthetic_course(root, NAME, LESSON, source_notebook())
    grading.release([module], course)
    submissions = {
        "reference": _answered(course),
        "blank": _release_copy(course),
    }
    for name, code in BLANK_ATTACKS.items():
        submissions[f"blank_{name}"] = _with_first(_release_copy(course), code)
    for name, code in CORRECT_ATTACKS.items():
        nb = _answered(course)
        # The history is printed after the tests have run; the rest act first.
        at = len(nb.cells) if name == "prints_its_input_history" else 1
        submissions[f"correct_{name}"] = _with_first(nb, code, at)
    for name, code in STOPPED_ATTACKS.items():
        submissions[f"stopped_{name}"] = _with_first(_answered(course), code)
    # A library shadowed by an uploaded file, beside an untouched blank notebook.
    submissions["blank_shadowing_upload"] = _release_copy(course)
    for student, nb in submissions.items():
        folder = GradingCourse(course).folder("submitted", student, NAME)
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / LESSON)
    upload = GradingCourse(course).folder("submitted", "blank_shadowing_upload", NAME)
    (upload / "pandas.py").write_text("raise SystemExit('shadowed')\n")
    (upload / "builtins.py").write_text("isinstance = lambda *a: True\n")
    run = pipeline.grade_class([module], course, workers=2, limits=LIMITS, progress=False)
    return course, module, run


def _auto(attacked, student) -> float:
    course, module, _ = attacked
    scores = grading.scores(module, student, course)
    return sum(v["score"] or 0 for v in scores.values() if v["auto"])


def _graded_notebook(attacked, student) -> nbformat.NotebookNode:
    course, _, _ = attacked
    folder = GradingCourse(course).folder("autograded", student, NAME)
    return nbformat.read(folder / LESSON, 4)


def test_every_learner_is_graded(attacked):
    _, _, run = attacked
    assert [o.student for o in run.not_graded] == []


def test_reference_full_marks_blank_zero(attacked):
    assert _auto(attacked, "reference") == MAX_AUTO
    assert _auto(attacked, "blank") == 0


@pytest.mark.parametrize("attack", sorted(BLANK_ATTACKS) + ["shadowing_upload"])
def test_an_attack_on_blank_answers_scores_nothing(attacked, attack):
    assert _auto(attacked, f"blank_{attack}") == 0


def test_unreadable_answers_say_what_to_change(attacked):
    nb = _graded_notebook(attacked, "blank_equal_to_anything")
    text = "\n".join(
        o.get("text", "") + o.get("evalue", "") for c in nb.cells for o in c.get("outputs", [])
    )
    assert "Your answer `total` could not be graded" in text
    assert "plain value" in text


@pytest.mark.parametrize("attack", sorted(CORRECT_ATTACKS))
def test_a_correct_notebook_keeps_its_marks_despite_its_own_mischief(attacked, attack):
    assert _auto(attacked, f"correct_{attack}") == MAX_AUTO


def test_disk_and_tmp_are_limited(attacked):
    for attack, where in (("fills_the_disk", "disk:"), ("fills_tmp", "tmp:")):
        nb = _graded_notebook(attacked, f"correct_{attack}")
        printed = "".join(o.get("text", "") for o in nb.cells[1].outputs)
        assert where in printed and "No space left" in printed, attack


@pytest.mark.parametrize(
    ("attack", "reason"),
    [("many_processes", "processes"), ("many_files", "files")],
)
def test_process_and_file_limits_stop_the_kernel_and_grading_goes_on(attacked, attack, reason):
    nb = _graded_notebook(attacked, f"stopped_{attack}")
    errors = [o for o in nb.cells[1].outputs if o.output_type == "error"]
    assert errors and errors[0].ename == "SandboxLimit" and reason in errors[0].evalue
    # The answers after the stopped cell ran in a new kernel: full marks.
    assert _auto(attacked, f"stopped_{attack}") == MAX_AUTO


def test_nothing_the_kernel_wrote_is_on_the_host(attacked):
    course, _, _ = attacked
    autograded = GradingCourse(course).autograded
    for path in autograded.rglob("*"):
        assert not path.is_symlink(), path
        assert path.is_dir() or path.suffix == ".ipynb", path
    feedback_folder = GradingCourse(course).feedback
    for path in feedback_folder.rglob("*") if feedback_folder.exists() else []:
        assert not path.is_symlink(), path


def test_hidden_tests_never_reach_the_learners_kernel(attacked):
    nb = _graded_notebook(attacked, "correct_prints_its_input_history")
    printed = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    assert "rates" in printed  # the history is there: the lesson's cells
    assert "BEGIN HIDDEN TESTS" not in printed and "count again" not in printed
    assert "assert" not in printed
