"""Who a learner is on the hub: one mapping from Moodle's LTI 1.3 launch to the student id.

The student id is the one name a learner has everywhere after the launch: the hub user, the
Unix account the hub creates (``LocalAuthenticator.create_system_users``), nbgrader's student
id of what they submit from the hub (nbgrader takes the Unix user name), the gradebook row and
``autograde/students.csv``. It is made from the ``email`` claim, which Moodle fills from the
user's e-mail address (``lis_person_contact_email_primary`` is sent as the ``email`` claim:
moodle/moodle mod/lti/locallib.php, ``lti_get_jwt_claim_mapping``), because the Moodle grading
worksheet lists that address beside each learner and nothing else in a launch is in the
worksheet: Moodle's "Participant N" is per assignment and is not sent in LTI.

The rule, ``student_id_for_email``:

1. The address is trimmed and lower-cased (``Anna.Virtanen@Uni.FI`` is ``anna.virtanen@uni.fi``).
2. Its local part (before the last ``@``) is spelled in ASCII: accents dropped (``Åsa`` is
   ``asa``), every other character that is not a letter or digit becomes ``_``, runs of ``_``
   collapse, and it starts with a letter (``learner`` when nothing readable is left, ``l`` is
   put before a leading digit). It is cut to 23 characters.
3. ``-`` and the first 8 hex digits of SHA-256 of the whole lower-cased address follow, so two
   addresses with the same local part on different domains get different ids, and the id never
   equals an existing account such as ``root`` or a teacher's login.

So ``anna.virtanen@uni.fi`` is ``anna_virtanen-`` + 8 hex digits: at most 32 characters, which
Debian's ``adduser`` accepts (``NAME_REGEX`` ``^[a-z][-a-z0-9_]*$``) and nbgrader and the
exchange can use in paths. The same address always gives the same id, on any server.

A launch without an e-mail address is refused, saying which Moodle setting to change: the
tool's Privacy setting "Share launcher's email with tool" must be "Always" (Moodle's strings
``share_email_admin`` and ``always`` in mod/lti/lang/en/lti.php). Falling back to the LTI
``sub`` would give a learner an id the worksheet cannot match.

What is recorded: on each launch, the id with the learner's full name (``name`` claim, or
``given_name family_name``), the e-mail address, and Moodle's user id (``sub``) with the
platform (``iss``) in ``students.csv`` (see ``servicecourse.grading.intake.students``). Filling
the Moodle worksheet matches these ids to rows by the e-mail address column. An id already
recorded for another address (a hash collision, about one in four billion for a pair with the
same local part) is refused rather than merged.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..grading.intake.students import MoodleStudent, known_students, record_students

EMAIL_CLAIM = "email"
NAME_CLAIM = "name"
HASH_DIGITS = 8
MAX_ID_LENGTH = 32  # useradd's limit on Linux user names
LOCAL_PART_LENGTH = MAX_ID_LENGTH - HASH_DIGITS - 1
STUDENT_ID = re.compile(rf"^[a-z][a-z0-9_]*-[0-9a-f]{{{HASH_DIGITS}}}$")

SHARE_EMAIL_ADVICE = (
    "In Moodle: Site administration > Plugins > Activity modules > External tool > Manage "
    'tools, edit this tool, and under Privacy set "Share launcher\'s email with tool" to '
    '"Always" (and "Share launcher\'s name with tool" to "Always" for names in the gradebook).'
)


class IdentityError(ValueError):
    """A launch that cannot be mapped to a student id; the message says what to change."""


def normalise_email(email: str) -> str:
    return unicodedata.normalize("NFC", email.strip()).lower()


def _ascii_local_part(local: str) -> str:
    decomposed = unicodedata.normalize("NFKD", local)
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    readable = re.sub(r"[^a-z0-9]+", "_", letters.lower()).strip("_")
    if not readable:
        return "learner"
    if not readable[0].isalpha():
        readable = "l" + readable
    return readable[:LOCAL_PART_LENGTH].rstrip("_")


def student_id_for_email(email: str | None) -> str:
    """The hub user and nbgrader student id of the learner with this e-mail address."""
    address = normalise_email(email or "")
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        if not address:
            raise IdentityError(
                f"Moodle sent no e-mail address for this learner, and the hub names learners "
                f"by their address. {SHARE_EMAIL_ADVICE}"
            )
        raise IdentityError(
            f"{email!r} is not an e-mail address; the hub names learners by their address. "
            "Check the learner's profile in Moodle."
        )
    digest = hashlib.sha256(address.encode("utf-8")).hexdigest()[:HASH_DIGITS]
    return f"{_ascii_local_part(local)}-{digest}"


def is_hub_student_id(student_id: str) -> bool:
    return bool(STUDENT_ID.match(student_id))


@dataclass(frozen=True)
class HubLearner:
    """A learner as a Moodle launch describes them."""

    student_id: str
    full_name: str
    email: str
    lti_sub: str
    lti_issuer: str

    def as_student(self) -> MoodleStudent:
        return MoodleStudent(
            self.student_id,
            self.full_name,
            folder="",
            email=self.email,
            lti_sub=self.lti_sub,
            lti_issuer=self.lti_issuer,
        )


def learner_from_claims(claims: Mapping[str, Any]) -> HubLearner:
    """The learner of a verified launch (the claims of its id_token)."""
    email = claims.get(EMAIL_CLAIM)
    if email is not None and not isinstance(email, str):
        raise IdentityError(f"the e-mail claim is not text: {email!r}")
    student_id = student_id_for_email(email)
    name = claims.get(NAME_CLAIM) or " ".join(
        part for part in (claims.get("given_name"), claims.get("family_name")) if part
    )
    return HubLearner(
        student_id=student_id,
        full_name=str(name or "").strip(),
        email=normalise_email(email),
        lti_sub=str(claims.get("sub", "")),
        lti_issuer=str(claims.get("iss", "")),
    )


def record_learner(course: Path, learner: HubLearner) -> None:
    """Keep the learner in ``students.csv``; refuse an id already held by another address."""
    known = known_students(course).get(learner.student_id)
    if known and known.get("email") and known["email"] != learner.email:
        raise IdentityError(
            f"the student id {learner.student_id} is already recorded for another e-mail "
            f"address in {course / 'students.csv'}; ask the course's teacher to check that file "
            "(two addresses whose ids collide cannot both use the hub)"
        )
    record_students(course, [learner.as_student()])
