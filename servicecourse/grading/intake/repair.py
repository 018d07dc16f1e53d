"""A learner's notebook repaired against the release: the release decides which cells are graded.

Why: nbgrader trusts each cell's ``nbgrader`` metadata, and honest slips damage it: a test or
answer cell copied (two cells with one grade id: nbgrader empties one and then refuses the whole
notebook), metadata stripped by an editor, an answer cell turned into a graded one, a schema
version nbgrader does not know. A correct notebook must not score 0 for that. So each graded
cell of the release is given exactly one cell of the submission, chosen by an alignment of the
two cell lists (grade ids first, then place, cell type and text), and gets the release's
metadata; every other cell is a plain cell. Each repair is written down for the summary.
"""

from __future__ import annotations

import copy
from difflib import SequenceMatcher

from nbformat.v4.nbbase import random_cell_id

DONT = "the learner should copy or move only their own cells, never the lesson's"
LOST = (
    "grading metadata missing from {cells}; recognised by place and text, restored from the "
    "lesson and graded as usual (some editors strip it: the learner should use Jupyter)"
)
CHANGED = (
    "grading metadata changed in {cells} ({keys}); restored from the lesson and graded as "
    "usual (the learner should not edit cell metadata)"
)
EDITOR_KEYS = ("deletable", "editable")
MAX_ALIGNED_CELLS = 400  # beyond this, cells are matched by grade id only
CLAIMED = 1000.0


def nbgrader_meta(cell) -> dict | None:
    metadata = cell.get("metadata")
    meta = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    return meta if isinstance(meta, dict) else None


def grade_id(cell) -> str | None:
    meta = nbgrader_meta(cell)
    gid = meta.get("grade_id") if meta else None
    return gid if isinstance(gid, str) and gid else None


def _source(cell) -> str:
    source = cell.get("source", "")
    if isinstance(source, list):
        source = "".join(str(s) for s in source)
    return source if isinstance(source, str) else str(source)


def _similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    a, b = a[:1500], b[:1500]
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < 0.3:
        return 0.0
    return matcher.quick_ratio()


def _kind(meta: dict) -> str:
    if meta.get("solution") and meta.get("grade"):
        return "answer cell (graded by the teacher)"
    if meta.get("solution"):
        return "answer cell"
    if meta.get("grade"):
        return "test cell"
    return "read-only cell"


class _Scorer:
    """How well submission cell ``s`` stands for release cell ``r`` (``None``: it cannot)."""

    def __init__(self, released_cells, cells, by_id_only: bool):
        self.r = released_cells
        self.s = cells
        self.r_ids = [grade_id(c) for c in released_cells]
        self.known = {g for g in self.r_ids if g}
        self.s_ids = [grade_id(c) if grade_id(c) in self.known else None for c in cells]
        self.r_src = [_source(c) for c in released_cells]
        self.s_src = [_source(c) for c in cells]
        self.by_id_only = by_id_only
        self.cache: dict[tuple[int, int], float | None] = {}

    def __call__(self, i: int, j: int) -> float | None:
        if (i, j) not in self.cache:
            self.cache[i, j] = self._score(i, j)
        return self.cache[i, j]

    def _score(self, i: int, j: int) -> float | None:
        rid, sid = self.r_ids[i], self.s_ids[j]
        r, s = self.r[i], self.s[j]
        if rid is not None and sid == rid:
            meta = nbgrader_meta(r)
            similar = _similarity(self.r_src[i], self.s_src[j])
            # Of two copies, the graded one is the learner's work for an answer, else the
            # one that is still as released.
            return CLAIMED + 10 * ((1 - similar) if meta.get("solution") else similar)
        if sid is not None or self.by_id_only or r.get("cell_type") != s.get("cell_type"):
            return None
        if rid is None:  # a plain cell of the lesson: only anchors the alignment
            return 5.0 if self.r_src[i] == self.s_src[j] else None
        similar = _similarity(self.r_src[i], self.s_src[j])
        if nbgrader_meta(r).get("solution"):
            return 50.0 + 20 * similar
        return 100.0 * similar if similar >= 0.6 else None


def _align(released_cells, cells) -> dict[int, int]:
    """Release cell index -> submission cell index: the order-keeping matching of most weight."""
    score = _Scorer(released_cells, cells, len(cells) > MAX_ALIGNED_CELLS)
    n, m = len(released_cells), len(cells)
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        row, below = best[i], best[i + 1]
        for j in range(m - 1, -1, -1):
            value = max(below[j], row[j + 1])
            gain = score(i, j)
            if gain is not None:
                value = max(value, gain + below[j + 1])
            row[j] = value
    pairs: dict[int, int] = {}
    i = j = 0
    while i < n and j < m:
        gain = score(i, j)
        if gain is not None and best[i][j] == gain + best[i + 1][j + 1]:
            pairs[i] = j
            i, j = i + 1, j + 1
        elif best[i][j] == best[i + 1][j]:
            i += 1
        else:
            j += 1
    return pairs


def repair_notebook(nb, released, name: str) -> tuple[bool, list[str]]:
    """Repair ``nb`` in place against ``released``; returns whether it changed, and the notes."""
    notes: list[str] = []
    cells = list(nb.cells)
    rcells = released.cells
    r_index = {grade_id(c): i for i, c in enumerate(rcells) if grade_id(c)}
    aligned = _align(rcells, cells)
    pairs = {i: j for i, j in aligned.items() if grade_id(rcells[i])}
    # A graded cell the learner moved out of order is still theirs: graded where it is.
    taken = set(pairs.values())
    for gid, i in r_index.items():
        if i in pairs:
            continue
        mine = [j for j, c in enumerate(cells) if grade_id(c) == gid and j not in taken]
        if mine:
            pairs[i] = aligned[i] = mine[-1]
            taken.add(mine[-1])
            notes.append(
                f"{name}: {_kind(nbgrader_meta(rcells[i]))} {gid} was moved out of its place; "
                f"it was graded where it is; {DONT}"
            )
    changed = False
    grouped: dict[tuple[str, str], list[str]] = {}
    for i, j in sorted(pairs.items()):
        changed |= _restore_cell(cells[j], rcells[i], name, notes, grouped)
    for (template, keys), gids in grouped.items():
        notes.append(f"{name}: " + template.format(cells=_cells(gids), keys=keys))
    drop: set[int] = set()
    for j, cell in enumerate(cells):
        if j in taken or nbgrader_meta(cell) is None:
            continue
        changed = True
        gid = grade_id(cell)
        original = rcells[r_index[gid]] if gid in r_index else None
        if original is not None and _source(cell) == _source(original):
            drop.add(j)
            notes.append(
                f"{name}: a copy of {_kind(nbgrader_meta(original))} {gid} was removed: each "
                f"cell is graded once, and the copy held nothing of the learner's; {DONT}"
            )
            continue
        meta = nbgrader_meta(cell)
        _make_plain(cell)
        if original is not None:
            notes.append(
                f"{name}: a second cell claimed to be {_kind(nbgrader_meta(original))} {gid}: it "
                "is kept as a plain cell with the learner's text and still runs, and the cell at "
                f"the lesson's place is graded; {DONT}"
            )
        elif gid or any(meta.get(k) for k in ("grade", "solution", "locked", "task")):
            label = f" ({show_id(gid)})" if gid else ""
            notes.append(
                f"{name}: a cell had grading metadata that is not in the lesson{label}; it was "
                "made a plain cell (its text is kept and still runs)"
            )
    restored = _put_back(cells, rcells, aligned, drop, name, notes)
    nb.cells = restored
    changed |= len(restored) != len(cells) or bool(drop)
    changed |= _unique_cell_ids(nb)
    return changed, notes


def show_id(gid) -> str:
    text = str(gid)
    return repr(text if len(text) <= 40 else text[:39] + "…")


def _make_plain(cell) -> None:
    metadata = cell.get("metadata")
    if isinstance(metadata, dict):
        metadata.pop("nbgrader", None)
        for key in EDITOR_KEYS:
            metadata.pop(key, None)


def _set_type(cell, cell_type: str) -> None:
    cell["cell_type"] = cell_type
    if cell_type == "code":
        cell["outputs"] = []
        cell["execution_count"] = None
    else:
        cell.pop("outputs", None)
        cell.pop("execution_count", None)


def _cells(gids: list[str]) -> str:
    if len(gids) == 1:
        return f"cell {gids[0]}"
    shown = ", ".join(gids[:8]) + (f" and {len(gids) - 8} more" if len(gids) > 8 else "")
    return f"{len(gids)} cells ({shown})"


def _restore_cell(cell, original, name: str, notes: list[str], grouped: dict) -> bool:
    """Give the learner's cell the release's metadata, type and (if read-only) text; notes
    shared by many cells (metadata lost or changed) are ``grouped``."""
    gid = grade_id(original)
    truth = nbgrader_meta(original)
    had = nbgrader_meta(cell)
    changed = False
    if not isinstance(cell.get("metadata"), dict):
        cell["metadata"] = {}
    if had is None or grade_id(cell) != gid:
        grouped.setdefault((LOST, ""), []).append(gid)
    elif _meaningful(had) != _meaningful(truth):
        what = sorted(
            str(k) for k in set(had) | set(truth) if k != "checksum" and had.get(k) != truth.get(k)
        )
        grouped.setdefault((CHANGED, ", ".join(what)), []).append(gid)
    if had != truth:
        cell["metadata"]["nbgrader"] = copy.deepcopy(dict(truth))
        changed = True
    for key in EDITOR_KEYS:
        if original.metadata.get(key) != cell["metadata"].get(key):
            if key in original.metadata:
                cell["metadata"][key] = original.metadata[key]
            else:
                cell["metadata"].pop(key, None)
            changed = True
    if cell.get("cell_type") != original.cell_type:
        notes.append(
            f"{name}: cell {gid} was changed from {original.cell_type} to "
            f"{cell.get('cell_type')}; it was turned back into a {original.cell_type} cell, as "
            f"nbgrader grades it, with the learner's text; {DONT}"
        )
        _set_type(cell, original.cell_type)
        changed = True
    if truth.get("locked") and not truth.get("solution") and _source(cell) != original.source:
        notes.append(
            f"{name}: read-only cell {gid} was edited; it was restored from the source "
            "(edits to read-only cells never count)"
        )
        cell["source"] = original.source
        changed = True
    return changed


def _meaningful(meta: dict) -> dict:
    return {k: v for k, v in meta.items() if k != "checksum"}


def _put_back(cells, rcells, pairs, drop, name: str, notes: list[str]) -> list:
    """The submission's cells, without ``drop``, with the release's graded cells it lacks put
    back after the cell that precedes them in the release."""
    after: dict[int, list] = {}
    anchor = -1
    missing = []
    for i, cell in enumerate(rcells):
        if i in pairs:
            anchor = pairs[i]
            continue
        gid = grade_id(cell)
        if not gid:
            continue
        after.setdefault(anchor, []).append(copy.deepcopy(cell))
        missing.append(nbgrader_meta(cell))
    for meta in missing:
        notes.append(f"{name}: {_missing_note(meta)}")
    out = list(after.get(-1, []))
    for j, cell in enumerate(cells):
        if j not in drop:
            out.append(cell)
        out.extend(after.get(j, []))
    return out


def _missing_note(meta: dict) -> str:
    gid = meta["grade_id"]
    if meta.get("solution") and meta.get("grade"):
        return (
            f"answer cell {gid} (graded by the teacher) was missing; it was put back empty, as "
            "released, so the teacher finds no answer there; the learner should keep their "
            "answer in that cell"
        )
    if meta.get("solution"):
        return (
            f"answer cell {gid} was missing; it was put back as released (it raises "
            "NotImplementedError) and the tests after it still run, so an answer written in "
            "another cell still counts; the learner should answer in the answer cell"
        )
    if meta.get("grade"):
        return (
            f"test cell {gid} was missing; it was put back from the lesson and graded as usual; "
            "the learner should not delete the lesson's cells"
        )
    return (
        f"read-only cell {gid} was missing; it was put back from the lesson; the learner should "
        "not delete the lesson's cells"
    )


def _unique_cell_ids(nb) -> bool:
    """nbformat 4.5 needs one id per cell; copies and put-back cells may repeat or lack one."""
    if nb.get("nbformat_minor", 0) < 5 and not any("id" in c for c in nb.cells):
        return False
    changed = nb.get("nbformat_minor", 0) < 5
    nb["nbformat_minor"] = max(5, nb.get("nbformat_minor", 0))
    seen = set()
    for cell in nb.cells:
        ident = cell.get("id")
        if not isinstance(ident, str) or not ident or ident in seen:
            cell["id"] = random_cell_id()
            changed = True
        seen.add(cell["id"])
    return changed
