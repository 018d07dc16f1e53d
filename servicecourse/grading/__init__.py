"""The instructor's side of the course: release, grade a class, give feedback, export.

- :mod:`.course` wraps nbgrader's own API for each step;
- :mod:`.sandbox` runs learners' code behind time, memory and file-system walls;
- :mod:`.intake` turns an LMS download or a loose folder into nbgrader's ``submitted/`` tree;
- :mod:`.pipeline` plans and grades a whole class in parallel; :mod:`.journal` makes it
  resumable;
- :mod:`.hints` says what a failed check teaches; :mod:`.variants` proves each check tells
  right from wrong;
- :mod:`.reports` writes the LMS grade file and the class summary;
- :mod:`.class_grading` is the instructor's use case: import, grade, feedback, reports.
"""

from importlib import import_module

# Loaded on first use: the grading kernels import `.answers`, and must not pay for nbgrader.
_EXPORTS = {
    "autograde": "class_grading",
    "grade_a_class": "class_grading",
    "CONFIG_FILE": "course",
    "GradingReport": "course",
    "FeedbackSummary": "course",
    "HideHiddenTestOutput": "course",
    "collect": "course",
    "course_api": "course",
    "export": "course",
    "feedback": "course",
    "import_submissions": "course",
    "load_config": "course",
    "release": "course",
    "scores": "course",
    "submitted_students": "course",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
