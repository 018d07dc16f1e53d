"""Moodle's "Download all submissions" zip into nbgrader's ``submitted/`` tree, learner by learner.

Why this shape: the zip is made of what learners uploaded, so any entry may be hostile or
broken (a name too long for the file system, a CRC error, a name that is not UTF-8, a huge or
endless member, thousands of files). Each problem becomes a note for *that* learner and the
others are imported; only a file that is not a zip at all stops the import. Identities are read
exactly as Moodle writes them, and an entry that could belong to two participants is given to
neither. Only notebooks go to ``submitted/``; every other file is set aside (:mod:`.state`).
"""

from __future__ import annotations

import errno
import hashlib
import re
import shutil
import struct
import time
import zipfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ...paths import CourseError, GradingCourse, Module
from . import state
from .students import MoodleStudent, record_students, student_id_for

MiB = 1024 * 1024


@dataclass(frozen=True)
class IntakeLimits:
    """What one learner's upload may hold; anything beyond is noted and left in the zip."""

    member_bytes: int = 100 * MiB
    learner_bytes: int = 250 * MiB
    learner_files: int = 500
    learner_seconds: float = 60.0


class MoodleImport(list):
    """The learners imported (a list of :class:`MoodleStudent`, sorted by id, as it always was)
    and what happened on the way.

    - ``notes[student_id]``: what went wrong with that learner's upload (also saved, so that
      :func:`~.submission.prepare_submission` returns them with the learner's other notes);
    - ``unassigned``: entries that belong to nobody (unknown folders, ambiguous names).

    A learner named in the zip of whom nothing could be imported is not in the list. If their
    files were damaged, too large or too slow to unpack, they get an empty ``submitted/`` folder,
    so that the grading run reports them as not graded, with these notes. If their entries were
    all refused (unsafe paths), were only online text, or their id came with two names (also in
    ``unassigned``), they get no folder: only ``notes`` tell.
    """

    def __init__(self, students=(), notes=None, unassigned=None):
        super().__init__(students)
        self.notes: dict[str, list[str]] = notes if notes is not None else {}
        self.unassigned: list[str] = unassigned if unassigned is not None else []

    @property
    def students(self) -> list[MoodleStudent]:
        return list(self)


# Moodle names each learner's folder "<Full Name>_<participant>_assignsubmission_<plugin>_", and
# in the flat layout puts the upload's name right after it.
_MARK = r"_(?P<participant>[0-9]+)_assign(?P<kind>submission|feedback)_(?P<plugin>[a-z]+)_"
FOLDER = re.compile(r"(?P<name>.+)" + _MARK)
MARK = re.compile(_MARK)
MARKS = re.compile(r"(?=" + _MARK + r")")
MAX_NAME_BYTES = 200  # file systems allow 255; room for " (2)" and ".not-json"
MAX_DEPTH = 8
CHUNK = 1024 * 1024
SHOWN = 60


def show(text: str) -> str:
    """A name short enough for a note."""
    if len(text) > SHOWN:
        text = text[: SHOWN // 2] + "…" + text[-(SHOWN // 2 - 1) :]
    return repr(text)


def _mb(size: int) -> str:
    return f"{size / MiB:.1f} MB"


@dataclass
class Owner:
    participant: str
    name: str
    kind: str
    plugin: str
    inner: list[str]

    @property
    def folder(self) -> str:
        return f"{self.name}_{self.participant}_assign{self.kind}_{self.plugin}_"


def owner_of(path: str) -> Owner | list[str] | None:
    """Whose upload a zip entry is: an :class:`Owner`; the candidate participant numbers if
    the name is ambiguous; ``None`` if it is not in Moodle's layout."""
    parts = path.split("/")
    first = parts[0]
    if len(parts) > 1:
        # Folder layout: the folder name ends with the mark, so anchor it there; a full name
        # that contains a mark is still part of the name.
        match = FOLDER.fullmatch(first)
        if match:
            return Owner(
                match["participant"],
                match["name"].strip(),
                match["kind"],
                match["plugin"],
                parts[1:],
            )
    candidates = []
    for found in MARKS.finditer(first):
        mark = MARK.match(first, found.start())
        name, rest = first[: found.start()].strip(), first[mark.end() :]
        if name and (rest or len(parts) > 1):
            candidates.append(
                Owner(mark["participant"], name, mark["kind"], mark["plugin"], [rest, *parts[1:]])
            )
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        return sorted({c.participant for c in candidates})
    return None


@dataclass
class _Entry:
    info: zipfile.ZipInfo
    inner: list[str]
    undecodable: bool = False


@dataclass
class _Learner:
    sid: str
    participant: str
    names: dict[str, str] = field(default_factory=dict)  # full name -> folder
    entries: list[_Entry] = field(default_factory=list)
    other_plugins: set[str] = field(default_factory=set)


def import_moodle_zip(
    zip_path: Path, module: Module, course: Path, *, limits: IntakeLimits | None = None
) -> MoodleImport:
    """Unpack a Moodle download into ``submitted/``, learner by learner; see the module doc."""
    limits = limits or IntakeLimits()
    if not zip_path.is_file():
        raise CourseError(
            f"{zip_path} does not exist: give the zip from Moodle's 'Download all submissions'"
        )
    folders = GradingCourse(course)
    with _open_zip(zip_path) as (archive, odd):
        learners, unassigned = _sort_entries(archive, odd)
        if not learners:
            detail = "; ".join(unassigned[:3])
            raise CourseError(
                f"{zip_path} holds no Moodle file submissions: expected folders named like "
                "'Full Name_1234567_assignsubmission_file_'" + (f" ({detail})" if detail else "")
            )
        result = MoodleImport(unassigned=unassigned)
        recorded = []
        for sid in sorted(learners):
            learner = learners[sid]
            notes, imported = _import_learner(archive, learner, folders, module, limits)
            if len(learner.names) == 1:
                name, folder = next(iter(learner.names.items()))
                student = MoodleStudent(sid, name, folder)
                recorded.append(student)
                if imported:
                    result.append(student)
            if notes:
                result.notes[sid] = notes
            if len(learner.names) > 1:
                result.unassigned.extend(notes)
            state.save_notes(course, module.name, sid, notes)
    record_students(course, recorded)
    state.save_unassigned(course, module.name, unassigned)
    return result


# --- the archive -------------------------------------------------------------------------------


class _Patched:
    """A zip file read with a few bytes of its central directory changed (never written)."""

    def __init__(self, raw, patches: dict[int, int]):
        self._raw = raw
        self._patches = patches
        self.name = getattr(raw, "name", None)

    def read(self, n: int = -1) -> bytes:
        start = self._raw.tell()
        data = self._raw.read(n)
        hits = [o for o in self._patches if start <= o < start + len(data)]
        if not hits:
            return data
        data = bytearray(data)
        for offset in hits:
            data[offset - start] = self._patches[offset]
        return bytes(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def seekable(self) -> bool:
        return True


def _directory_patches(raw) -> tuple[dict[int, int], set[int]]:
    """Clear the UTF-8 flag of names that are not UTF-8, and cap versions zipfile refuses:
    ``zipfile`` would otherwise reject the whole archive for one entry. Returns the byte
    patches and the indexes of the entries whose names are not UTF-8."""
    endrec = zipfile._EndRecData(raw)  # noqa: SLF001 - the stdlib's own reader of the end record
    if not endrec:
        raise zipfile.BadZipFile("no end of central directory")
    size_cd, offset_cd = endrec[zipfile._ECD_SIZE], endrec[zipfile._ECD_OFFSET]  # noqa: SLF001
    start = endrec[zipfile._ECD_LOCATION] - size_cd  # noqa: SLF001
    if endrec[zipfile._ECD_SIGNATURE] == zipfile.stringEndArchive64:  # noqa: SLF001
        start -= zipfile.sizeEndCentDir64 + zipfile.sizeEndCentDir64Locator
    raw.seek(start)
    data = raw.read(size_cd)
    patches: dict[int, int] = {}
    odd: set[int] = set()
    pos, index = 0, 0
    while pos + zipfile.sizeCentralDir <= len(data):
        header = struct.unpack(zipfile.structCentralDir, data[pos : pos + zipfile.sizeCentralDir])
        if header[0] != zipfile.stringCentralDir:
            break
        flags, extract_version = header[5], header[3]
        name_end = pos + zipfile.sizeCentralDir + header[12]
        if flags & 0x800:
            try:
                data[pos + zipfile.sizeCentralDir : name_end].decode("utf-8")
            except UnicodeDecodeError:
                cleared = struct.pack("<H", flags & ~0x800)
                # In the central directory and in the entry's own header, which zipfile checks.
                for at in (start + pos + 8, start - offset_cd + header[18] + 6):
                    patches[at], patches[at + 1] = cleared[0], cleared[1]
                odd.add(index)
        if extract_version > zipfile.MAX_EXTRACT_VERSION:
            patches[start + pos + 6] = 20  # reading it may still fail: a note for its owner
        pos = name_end + header[13] + header[14]
        index += 1
    return patches, odd


@contextmanager
def _open_zip(path: Path):
    not_zip = CourseError(
        f"{path} is not a zip file or is damaged: download the submissions again from Moodle"
    )
    try:
        archive = zipfile.ZipFile(path)
    except (UnicodeDecodeError, NotImplementedError):  # (a ValueError: caught first)
        archive = None  # one entry's name or version: read it again, patched
    except (zipfile.BadZipFile, EOFError, ValueError, struct.error, OSError):
        raise not_zip from None
    if archive is not None:
        with archive:
            yield archive, set()
        return
    with open(path, "rb") as raw:
        try:
            patches, odd = _directory_patches(raw)
            archive = zipfile.ZipFile(_Patched(raw, patches))
        except (
            zipfile.BadZipFile,
            UnicodeDecodeError,
            NotImplementedError,
            EOFError,
            ValueError,
            struct.error,
            OSError,
        ):
            raise not_zip from None
        with archive:
            yield archive, odd


def _entry_name(info: zipfile.ZipInfo, undecodable: bool) -> str:
    """The entry's name as its uploader meant it, whatever encoding the zip used."""
    if info.flag_bits & 0x800:
        return info.filename
    raw = info.orig_filename.encode("cp437")  # zipfile decoded the bytes as cp437
    try:
        return raw.decode("utf-8", "replace" if undecodable else "strict")
    except UnicodeDecodeError:
        return info.filename


def _sort_entries(archive: zipfile.ZipFile, odd: set[int]):
    learners: dict[str, _Learner] = {}
    unknown: dict[str, int] = {}
    unassigned: list[str] = []
    for index, info in enumerate(archive.infolist()):
        if info.is_dir():
            continue
        undecodable = index in odd
        name = _entry_name(info, undecodable)
        owner = owner_of(name)
        if owner is None:
            first = name.split("/")[0]
            unknown[first] = unknown.get(first, 0) + 1
            continue
        if isinstance(owner, list):
            unassigned.append(
                f"{show(name)} could belong to participant {' or '.join(owner)}: a full name or a "
                "file name contains Moodle's '_<number>_assignsubmission_' pattern, so it was "
                "not imported (nobody is graded on another's file); if it is a learner's work, "
                "put it in their submitted folder by hand"
            )
            continue
        if owner.kind != "submission":
            continue  # feedback files are the teacher's
        sid = student_id_for(owner.participant)
        learner = learners.setdefault(sid, _Learner(sid, owner.participant))
        learner.names.setdefault(owner.name, owner.folder)
        if owner.plugin != "file":
            learner.other_plugins.add(owner.plugin)
            continue
        learner.entries.append(_Entry(info, owner.inner, undecodable))
    for first, count in sorted(unknown.items())[:20]:
        unassigned.append(
            f"{show(first)} ({count} file(s)) is not a Moodle submission folder (expected "
            "'Full Name_1234567_assignsubmission_file_'): not imported"
        )
    if len(unknown) > 20:
        unassigned.append(f"{len(unknown) - 20} more folders outside Moodle's pattern")
    return learners, unassigned


# --- one learner -------------------------------------------------------------------------------


class _Refused(Exception):
    """One entry could not be unpacked; the reason is a note for its learner."""


class _OutOfTime(_Refused):
    pass


def _import_learner(archive, learner: _Learner, folders: GradingCourse, module: Module, limits):
    """Unpack one learner's upload; returns the notes and how many files were unpacked."""
    target = folders.folder("submitted", learner.sid, module.name)
    aside = state.set_aside_dir(folders.root, module.name, learner.sid)
    if len(learner.names) > 1:
        names = ", ".join(show(n) for n in sorted(learner.names))
        return [
            f"the zip has {len(learner.names)} different names for participant "
            f"{learner.participant} ({names}): nothing was imported for this id, so that nobody "
            "is graded on another's work; check the Moodle participant list and put the right "
            "upload in the submitted folder by hand"
        ], 0
    notes: list[str] = []
    if not learner.entries:
        if learner.other_plugins:
            notes.append(
                "only an online text was submitted in Moodle, no file: nothing to grade; the "
                "learner should upload the notebook file itself"
            )
        return notes, 0
    for old in (target, aside):  # this upload replaces an earlier import
        if old.exists():
            shutil.rmtree(old)
    target.mkdir(parents=True)
    notes, imported, failed = _unpack(archive, learner, target, aside, limits)
    if not imported and not failed:
        target.rmdir()  # only refused (hostile) entries: nobody to grade, the notes say why
    return notes, imported


def _unpack(archive, learner: _Learner, target: Path, aside: Path, limits: IntakeLimits):
    """Unpack one learner's entries; returns the notes, how many files were unpacked and how
    many could not be (damaged, too large, too slow: the learner is reported as not graded)."""
    notes: list[str] = []
    entries = sorted(
        learner.entries,
        key=lambda e: (not e.inner[-1].lower().endswith(".ipynb"), len(e.inner), e.inner),
    )
    if len(entries) > limits.learner_files:
        notes.append(
            f"{len(entries)} files were uploaded; only the first {limits.learner_files} "
            "(notebooks first) were unpacked, the others are still in the zip: the learner "
            "should upload only the module's notebooks"
        )
        entries = entries[: limits.learner_files]
    deadline = time.monotonic() + limits.learner_seconds
    total = imported = failed = 0
    set_aside: list[str] = []
    for position, entry in enumerate(entries):
        where = show("/".join(entry.inner))
        parts, fixes = safe_parts(entry.inner)
        if parts is None:
            notes.append(f"{where} has an unsafe path ({fixes[0]}): not unpacked")
            continue
        failed += 1  # until it is unpacked
        if entry.undecodable:
            fixes.insert(0, f"the name of {where} is not valid UTF-8 in the zip")
        size = entry.info.file_size
        if size > limits.member_bytes:
            notes.append(
                f"{where} is {_mb(size)}, over the limit of {_mb(limits.member_bytes)} a file: "
                "not unpacked (it is still in the zip); the learner should clear large outputs "
                "and upload only the notebooks"
            )
            continue
        if total + size > limits.learner_bytes:
            notes.append(
                f"{where} would take the upload over {_mb(limits.learner_bytes)}: not unpacked "
                "(it is still in the zip); the learner should upload only the notebooks"
            )
            continue
        notebook = parts[-1].lower().endswith(".ipynb")
        root = target if notebook else aside
        dest = state.unique(root.joinpath(*parts))
        try:
            written = _copy_member(archive, entry.info, dest, limits.member_bytes, deadline)
        except _OutOfTime:
            left = len(entries) - position
            notes.append(
                f"unpacking took longer than {limits.learner_seconds:g} s: {left} file(s) from "
                f"{where} on were not unpacked (they are still in the zip)"
            )
            break
        except _Refused as why:
            notes.append(f"{where} {why}; the learner should upload it again")
            continue
        except OSError as error:
            if error.errno in (errno.ENOSPC, errno.EDQUOT):
                raise CourseError(f"the disk is full while unpacking {dest}: {error}") from None
            notes.append(f"{where} could not be saved ({error.strerror}): not unpacked")
            continue
        total += written
        imported += 1
        failed -= 1
        saved_as = dest.relative_to(root).as_posix()
        if saved_as != "/".join(parts):
            fixes.append("a file of the same name was uploaded too")
        if fixes:
            notes.append(f"{'; '.join(fixes)}: it was saved as {show(saved_as)}")
        if not notebook:
            set_aside.append(saved_as)
    if set_aside:
        listed = ", ".join(show(n) for n in set_aside[:5]) + (", …" if len(set_aside) > 5 else "")
        notes.append(
            f"{len(set_aside)} file(s) that are not notebooks ({listed}) were set aside, not "
            f"graded: only the module's notebooks are; they are kept in {aside}"
        )
    return notes, imported, failed


def safe_parts(inner: list[str]) -> tuple[list[str] | None, list[str]]:
    """Path parts safe to create under a learner's folder, and what had to change.

    ``None`` (with the reason) for a path that climbs out (``..``), is empty or is too deep.
    """
    parts = [p for p in inner if p not in ("", ".")]
    if not parts:
        return None, ["no file name"]
    if ".." in parts:
        return None, ["'..' climbs out of the learner's folder"]
    if len(parts) > MAX_DEPTH:
        return None, [f"more than {MAX_DEPTH} folders deep"]
    fixes, out = [], []
    for part in parts:
        clean = "".join(ch if ch.isprintable() else "_" for ch in part)
        if clean != part:
            fixes.append(f"{show(part)} has characters that cannot be in a file name")
        size = len(clean.encode("utf-8", "surrogatepass"))
        if size > MAX_NAME_BYTES:
            clean = shorten(clean)
            fixes.append(f"{show(part)} is too long a name for the file system ({size} bytes)")
        out.append(clean)
    return out, fixes


def shorten(name: str) -> str:
    """A name of at most MAX_NAME_BYTES bytes that keeps the suffix and stays unique."""
    stem, dot, suffix = name.rpartition(".")
    if not dot or len(suffix.encode()) > 16:
        stem, suffix = name, ""
    else:
        suffix = "." + suffix
    tag = "~" + hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    room = MAX_NAME_BYTES - len(suffix.encode()) - len(tag)
    stem = stem.encode("utf-8")[:room].decode("utf-8", "ignore")
    return stem + tag + suffix


def _copy_member(archive, info, dest: Path, limit: int, deadline: float) -> int:
    """Copy one member in chunks, within its size and the learner's time; never half a file."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    try:
        with archive.open(info) as src, open(dest, "xb") as out:
            while chunk := src.read(CHUNK):
                written += len(chunk)
                if written > limit:
                    raise _Refused(f"unpacks to more than {_mb(limit)}: not unpacked")
                out.write(chunk)
                if time.monotonic() > deadline:
                    raise _OutOfTime()
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        dest.unlink(missing_ok=True)
        raise _Refused(f"is damaged in the zip ({error}): not unpacked") from None
    except (RuntimeError, NotImplementedError, ValueError) as error:  # encrypted, unsupported
        dest.unlink(missing_ok=True)
        raise _Refused(f"cannot be unpacked ({error})") from None
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
    return written
