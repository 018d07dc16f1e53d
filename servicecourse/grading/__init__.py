"""The instructor's side of the course: release, grade a class, give feedback, export.

- :mod:`.course` wraps nbgrader's own API for each step;
- :mod:`.sandbox` runs learners' code behind time, memory and file-system walls;
- :mod:`.intake` turns an LMS download or a loose folder into nbgrader's ``submitted/`` tree;
- :mod:`.pipeline` plans and grades a whole class in parallel; :mod:`.journal` makes it
  resumable;
- :mod:`.reports` writes the LMS grade file and the class summary;
- :mod:`.class_grading` is the instructor's use case: import, grade, feedback, reports.
"""

from .class_grading import autograde, grade_a_class
from .course import (
    CONFIG_FILE,
    GradingReport,
    HideHiddenTestOutput,
    collect,
    course_api,
    export,
    feedback,
    import_submissions,
    load_config,
    release,
    scores,
    submitted_students,
)

__all__ = [
    "CONFIG_FILE",
    "GradingReport",
    "HideHiddenTestOutput",
    "autograde",
    "collect",
    "course_api",
    "export",
    "feedback",
    "grade_a_class",
    "import_submissions",
    "load_config",
    "release",
    "scores",
    "submitted_students",
]
