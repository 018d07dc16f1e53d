"""From what instructors download to nbgrader's ``submitted/<student>/<module>/`` tree.

Why: real submissions arrive as a Moodle "Download all submissions" zip, with notebooks renamed
by browsers (``lesson (1).ipynb``), put in sub-folders, damaged, with cells deleted or copied,
metadata stripped, and files that are not notebooks. Each problem is repaired where the intent
is clear and always written down, so the class summary can say what happened to whom; nothing
a learner submitted is thrown away (what is not graded is set aside).

- :mod:`.moodle_zip`: the zip, learner by learner, within limits (:class:`IntakeLimits`);
- :mod:`.submission`: one learner's folder, only the module's notebooks in it;
- :mod:`.repair`: a notebook's grading metadata repaired against the release;
- :mod:`.students`: student ids and names (``students.csv``);
- :mod:`.state`: the notes and set-aside files kept between runs.
"""

from .moodle_zip import IntakeLimits, MoodleImport, import_moodle_zip
from .state import import_notes, set_aside_dir, unassigned_notes
from .students import STUDENTS_FILE, MoodleStudent, known_students, student_id_for
from .submission import NOT_JSON_SUFFIX, prepare_submission

__all__ = [
    "NOT_JSON_SUFFIX",
    "STUDENTS_FILE",
    "IntakeLimits",
    "MoodleImport",
    "MoodleStudent",
    "import_moodle_zip",
    "import_notes",
    "known_students",
    "prepare_submission",
    "set_aside_dir",
    "student_id_for",
    "unassigned_notes",
]
