"""The instructor's side of the course: release, grade a class, give feedback, export.

- :mod:`.course` wraps nbgrader's own API for each step;
- :mod:`.sandbox` runs learners' code behind time, memory and file-system walls;
- :mod:`.intake` turns an LMS download or a loose folder into nbgrader's ``submitted/`` tree;
- :mod:`.pipeline` grades a whole class in parallel, resumably;
- :mod:`.reports` writes the LMS grade file and the class summary.
"""

from .course import (
    CONFIG_FILE,
    GradingReport,
    HideHiddenTestOutput,
    autograde,
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
    "import_submissions",
    "load_config",
    "release",
    "scores",
    "submitted_students",
]
