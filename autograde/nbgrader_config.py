"""nbgrader configuration of the course.

Each folder of ``modules/`` is one assignment (its id is the folder name). The source
directory is a link to ``modules/`` so that the notebooks have exactly one home; everything
else here (release, submitted, autograded, feedback, the exchange and the gradebook) is
generated and ignored by git.
"""

import os
from pathlib import Path

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.converters import GenerateAssignment
from nbgrader.preprocessors import ClearHiddenTests, GetGrades

from servicecourse.build.citations import ReadableCitations
from servicecourse.grading import FeedbackSummary, HideHiddenTestOutput
from servicecourse.paths import DEFAULTS, GradingCourse

COURSE = GradingCourse(Path(__file__).resolve().parent)

c = get_config()  # noqa: F821 - provided by traitlets when it loads this file

c.CourseDirectory.root = str(COURSE.root)
c.CourseDirectory.course_id = "servicecourse"
# nbgrader's folder names, the ones GradingCourse.folder() builds paths with.
for step in GradingCourse.STEPS:
    setattr(c.CourseDirectory, f"{step}_directory", step)
# SQLite by default; a shared PostgreSQL gradebook (several instructors on one hub) by URL,
# e.g. postgresql+psycopg://grader@127.0.0.1:5432/servicecourse.
c.CourseDirectory.db_url = COURSE.gradebook_url()
# Dashboards and data files travel with a module; caches and checkpoints never do.
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints",
    "*.pyc",
    "__pycache__",
    "feedback",
    ".cache",
    # Answer variants (wrong answers and alternatives) stay with the source, never released.
    "variants",
]

# The exchange lives inside the course, so nothing needs /srv/nbgrader; on the course hub
# (`servicecourse hub`) it is the server's shared one, named in SERVICECOURSE_EXCHANGE.
c.Exchange.root = os.environ.get("SERVICECOURSE_EXCHANGE") or str(COURSE.exchange)
# There the instructors' group shares the course and the exchange (nbgrader's "groupshared"),
# and nbgrader leaves the permissions the hub gave the exchange as they are.
c.CourseDirectory.groupshared = bool(os.environ.get("SERVICECOURSE_EXCHANGE"))
c.Exchange.path_includes_course = True

# Stop a never-ending loop in a submission instead of hanging the batch.
c.ExecutePreprocessor.timeout = DEFAULTS.grading.cell_seconds
c.Execute.timeout = DEFAULTS.grading.cell_seconds
c.Execute.interrupt_on_timeout = True

# Learners' kernels for grading are the project's own Python.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# JupyterLab shows markdown as it is: the student version gets citations and glossary terms
# written out ("(AXELOS 2019)") instead of the book's {cite:p} roles. First, so that the saved
# copy of locked cells (restored when grading) and the release agree.
c.GenerateAssignment.preprocessors = [
    ReadableCitations,
    *GenerateAssignment.class_traits()["preprocessors"].default(),
]

# nbgrader's default feedback shows hidden tests, and a failing hidden test's traceback quotes
# its lines; ours shows neither, but each failed check's hint, summed up at the top.
c.GenerateFeedback.preprocessors = [
    GetGrades,
    FeedbackSummary,
    HideHiddenTestOutput,
    ClearHiddenTests,
    ReadableCitations,
    CSSHTMLHeaderPreprocessor,
]
