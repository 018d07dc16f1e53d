"""The parts of test isolation that need no kernel: the answer wire and the test plan."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import nbformat
import numpy as np
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from servicecourse.grading import answers
from servicecourse.grading.isolation import HiddenTestPlan, is_test_cell
from servicecourse.paths import all_modules


def _roundtrip(values: dict) -> dict:
    received: dict = {}
    missing = answers.bind(received, answers.export(values, list(values)))
    assert missing == []
    return received


def test_plain_values_cross_exactly():
    values = {
        "whole": 2**70,
        "share": 0.1,
        "flag": True,
        "text": "Kallavesi ä",
        "nothing": None,
        "nested": [1, (2, 3), {4}, frozenset({5}), {"k": [None, b"x"]}],
        "money": Decimal("1.10"),
        "day": dt.date(2016, 1, 2),
        "moment": dt.datetime(2017, 10, 29, 3, 30),
        "gap": dt.timedelta(hours=1, seconds=3),
        "number": np.int64(5),
        "small": np.float32(1.5),
    }
    received = _roundtrip(values)
    for name, value in values.items():
        assert received[name] == value and type(received[name]) is type(value), name
    assert np.isnan(_roundtrip({"x": float("nan")})["x"])


def test_numpy_and_pandas_objects_cross_with_their_dtypes():
    frame = pd.DataFrame(
        {
            "n": [1, 2, 3],
            "text": ["a", None, "c"],
            "when": pd.to_datetime(["2016-01-01", None, "2017-01-01"]),
            "kind": pd.Categorical(["p", "q", "p"]),
            "maybe": pd.array([1, None, 3], dtype="Int64"),
            "utc": pd.to_datetime(["2016-01-01 10:00"] * 3).tz_localize("UTC"),
            "took": pd.to_timedelta([1, 2, 3], unit="h"),
        },
        index=pd.Index([5, 5, 7], name="id"),
    )
    series = frame.groupby("kind", observed=True)["n"].mean()
    multi = frame.set_index(["text", "n"])[["maybe"]]
    received = _roundtrip(
        {"frame": frame, "series": series, "multi": multi, "array": np.arange(6).reshape(2, 3)}
    )
    pd.testing.assert_frame_equal(received["frame"], frame)
    pd.testing.assert_series_equal(received["series"], series)
    pd.testing.assert_frame_equal(received["multi"], multi)
    assert received["array"].dtype == np.int64 and received["array"].shape == (2, 3)
    stamp = pd.Timestamp("2017-10-29 02:30", tz="Europe/Helsinki")
    assert _roundtrip({"stamp": stamp})["stamp"] == stamp


def test_objects_with_their_own_behaviour_never_cross():
    class Anything:
        def __eq__(self, other):
            return True

    class SneakyText(str):
        def __eq__(self, other):
            return True

    received = _roundtrip({"a": Anything(), "b": SneakyText("x"), "m": np})
    for name in ("a", "b", "m"):
        with pytest.raises(TypeError, match=f"your answer `{name}` could not be graded"):
            received[name] == 1  # noqa: B015
        with pytest.raises(TypeError):
            bool(received[name])
        assert not isinstance(received[name], str | int)


def test_a_missing_answer_is_left_undefined():
    received = {"total": "stale"}
    assert answers.bind(received, answers.export({}, ["total"])) == ["total"]
    assert "total" not in received


def test_functions_cross_by_reference_and_are_called_with_data(monkeypatch):
    def route(change, strict=False):
        return {"to": "cab" if change["impact"] == "wide" else "manager", "strict": strict}

    received = _roundtrip({"route": route})
    # What the grader does: the call goes to the learner's kernel (here: this process).
    calls = []

    def grader(prompt):
        request = json.loads(prompt[len(answers.CALL_PREFIX) :])
        calls.append(request)
        return answers.call(request["ref"], json.dumps(request["args"]))

    monkeypatch.setattr("builtins.input", grader)
    assert received["route"]({"impact": "wide"}, strict=True) == {"to": "cab", "strict": True}
    assert len(calls) == 1

    def broken(change):
        raise KeyError("impact")

    received = _roundtrip({"broken": broken})
    with pytest.raises(answers.LearnerCodeError, match="raised KeyError"):
        received["broken"]({})


def _notebook(*cells):
    return new_notebook(cells=list(cells))


def _cell(source, grade_id=None, solution=False, grade=False):
    meta = {}
    if grade_id:
        meta = {"nbgrader": {"grade_id": grade_id, "solution": solution, "grade": grade}}
    return new_code_cell(source, metadata=meta)


def test_the_plan_runs_only_what_a_test_reads():
    nb = _notebook(
        _cell(
            "import pandas as pd\nimport plotly.express as px\n"
            "from servicecourse import datasets, plotting"
        ),
        _cell("tickets = datasets.load('kallavesi_tickets')\nfig = px.bar(tickets)\nfig.show()"),
        _cell("tickets['hours'] = 1\nnoise = [t for t in range(3)]"),
        _cell("def helper(frame):\n    local = frame.copy()\n    return local"),
        _cell("fcr = 0.5", "fcr", solution=True),
        _cell(
            "expected = helper(tickets)\nassert fcr == expected['hours'].mean()",
            "test_fcr",
            grade=True,
        ),
        _cell("summary = {}\nsummary.update(a=1)"),
        _cell("assert summary and pd.isna(None)", "test_later", grade=True),
    )
    plan = HiddenTestPlan(nb, nb)
    needs = plan.needs("test_fcr", nb.cells[5].source)
    sources = [s.source for s in needs.lesson_cells]
    assert needs.from_learner == ["fcr"]
    assert sources == [
        "from servicecourse import datasets",
        "tickets = datasets.load('kallavesi_tickets')",
        "tickets['hours'] = 1",  # a change in place counts
        "def helper(frame):\n    local = frame.copy()\n    return local",
    ]
    later = plan.needs("test_later", nb.cells[7].source)
    assert [s.source for s in later.lesson_cells] == [
        "import pandas as pd",
        "summary = {}",
        "summary.update(a=1)",
    ]
    assert later.from_learner == []


def test_a_test_that_normalises_an_answer_still_gets_the_learners():
    nb = _notebook(
        _cell('answer_kind = "B "', "answer_kind", solution=True),
        _cell(
            "answer_kind = str(answer_kind).strip().lower()\nassert answer_kind == 'b', 'hint'",
            "test_answer_kind",
            grade=True,
        ),
    )
    needs = HiddenTestPlan(nb, nb).needs("test_answer_kind", nb.cells[1].source)
    assert needs.from_learner == ["answer_kind"]


@pytest.mark.parametrize("module", [m for m in all_modules() if m.lessons], ids=lambda m: m.name)
def test_every_test_of_the_course_gets_its_answers_from_solution_cells(module):
    """No test reads a learner's name that no solution cell defines (it would be a NameError)."""
    for lesson in module.lessons:
        nb = nbformat.read(lesson, as_version=4)
        plan = HiddenTestPlan(nb, nb)
        for cell in nb.cells:
            if is_test_cell(cell):
                needs = plan.needs(cell.metadata["nbgrader"]["grade_id"], cell.source)
                assert set(needs.from_learner) <= plan.answers, (lesson.name, needs)
