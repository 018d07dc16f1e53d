"""Answers cross from the learner's kernel to the test kernel as plain, type-checked data.

Why: hidden tests must never run in, or pass through, the kernel that ran the learner's code.
Whatever that code did to its interpreter (input transformers, trace functions, patched
modules, objects that compare equal to anything), only data leaves it: :func:`export` runs in
the learner's kernel and writes JSON; :func:`bind` runs in a fresh test kernel and rebuilds the
values with the test kernel's own pandas and numpy. A learner who fakes the export can only
send some plain value, as if they had typed it, and the hidden tests judge that.

Functions cross by reference: the test kernel gets a :class:`LearnerFunction` whose calls go,
as plain data again, back to the learner's kernel (through the grader, see ``isolation.py``).

Supported: None, bool, int, float, complex, str, bytes, list, tuple, set, frozenset, dict,
datetime/date/time/timedelta, Decimal, Fraction, numpy scalars and arrays (not of objects
unless their items are supported), pandas Timestamp, Timedelta, NaT, Index (incl. Range,
Datetime, Multi), Series, DataFrame and Categorical columns, and callables. Anything else
becomes :class:`Unreadable`, which fails every test with a message saying what to change.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
from decimal import Decimal
from fractions import Fraction

MAX_DEPTH = 40
MAX_ITEMS = 5_000_000
CALL_PREFIX = "servicecourse-call:"

# Callables exported from the learner's kernel, by reference number (only in that kernel).
_CALLABLES: dict[int, object] = {}


class WireError(Exception):
    """A value cannot cross as data."""


# --- learner's kernel side ---------------------------------------------------------------------


def export(namespace: dict, names: list[str]) -> str:
    """JSON of the named values: each as data, ``{"missing": true}`` or ``{"unreadable": type}``."""
    out = {}
    for name in names:
        if name not in namespace:
            out[name] = {"missing": True}
            continue
        try:
            out[name] = {"value": _encode(namespace[name], 0, [0])}
        except WireError as err:
            out[name] = {"unreadable": str(err)}
        except Exception as err:  # noqa: BLE001 - hostile objects may raise anything
            out[name] = {"unreadable": f"{type(err).__name__} while reading it"}
    return json.dumps(out, allow_nan=False)


def call(ref: int, wire_args: str) -> str:
    """Call an exported function with arguments sent as data; the result goes back as data."""
    function = _CALLABLES.get(ref)
    if function is None:
        return json.dumps({"error": "this function is no longer defined in your notebook"})
    args, kwargs = decode(wire_args)
    try:
        result = function(*args, **kwargs)
    except Exception as err:  # noqa: BLE001 - the learner's error is reported to the test
        return json.dumps({"error": f"{type(err).__name__}: {err}"[:2000]})
    try:
        return json.dumps({"value": _encode(result, 0, [0])}, allow_nan=False)
    except WireError as err:
        return json.dumps({"unreadable": str(err)})


def _type_name(value) -> str:
    kind = type(value)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"


def _encode(value, depth: int, count: list[int]):
    count[0] += 1
    if depth > MAX_DEPTH or count[0] > MAX_ITEMS:
        raise WireError("it is nested too deeply or too large to grade")
    kind = type(value)
    if value is None or kind is bool or kind is str:
        return value
    if kind is int:
        return {"t": "int", "v": str(value)}
    if kind is float:
        return _float(value)
    if kind is complex:
        return {"t": "complex", "v": [_float(value.real), _float(value.imag)]}
    if kind is bytes:
        return {"t": "bytes", "v": base64.b64encode(value).decode()}
    if kind in (list, tuple, set, frozenset):
        items = list(value)
        if kind in (set, frozenset):
            items = sorted(items, key=repr)
        return {"t": kind.__name__, "v": [_encode(v, depth + 1, count) for v in items]}
    if kind is dict:
        return {
            "t": "dict",
            "v": [
                [_encode(k, depth + 1, count), _encode(v, depth + 1, count)]
                for k, v in value.items()
            ],
        }
    if kind is Decimal:
        return {"t": "decimal", "v": str(value)}
    if kind is Fraction:
        return {"t": "fraction", "v": [str(value.numerator), str(value.denominator)]}
    if kind in (dt.datetime, dt.date, dt.time):
        return {"t": kind.__name__, "v": value.isoformat()}
    if kind is dt.timedelta:
        return {"t": "timedelta", "v": [value.days, value.seconds, value.microseconds]}
    encoded = _encode_library(value, kind, depth, count)
    if encoded is not None:
        return encoded
    if callable(value) and _is_function_like(value):
        ref = len(_CALLABLES) + 1
        _CALLABLES[ref] = value
        return {"t": "callable", "v": ref, "name": str(getattr(value, "__name__", "function"))}
    raise WireError(
        f"it is a {_type_name(value)}, which the grader cannot read: make it a plain value "
        "(a number, text, list, dict, …), a numpy or pandas object, or a function"
    )


def _is_function_like(value) -> bool:
    import types

    return (
        isinstance(value, types.FunctionType | types.BuiltinFunctionType | types.MethodType)
        or type(value).__name__ == "partial"
    )


def _float(value: float):
    if math.isfinite(value):
        return {"t": "float", "v": repr(value)}
    return {"t": "float", "v": str(value)}  # nan, inf, -inf


def _encode_library(value, kind, depth, count):
    """numpy and pandas objects, rebuilt from their raw values (never from pickles)."""
    module = kind.__module__.split(".")[0]
    if module not in ("numpy", "pandas"):
        return None
    import numpy as np
    import pandas as pd

    if not _NUMPY_SCALARS:
        _load_library_kinds()

    if isinstance(value, np.generic) and type(value) in _NUMPY_SCALARS:
        if isinstance(value, np.datetime64 | np.timedelta64):
            unit = np.datetime_data(value.dtype)[0]
            return {
                "t": "np",
                "dtype": str(value.dtype),
                "v": str(value.astype("int64")),
                "unit": unit,
            }
        return {"t": "np", "dtype": str(value.dtype), "v": _encode(value.item(), depth + 1, count)}
    if kind is np.ndarray:
        return {"t": "ndarray", **_array(value, depth, count)}
    if value is pd.NaT:
        return {"t": "NaT"}
    if kind is pd.Timestamp:
        return {
            "t": "Timestamp",
            "v": str(value.value),
            "tz": str(value.tz) if value.tz else None,
            "unit": value.unit,
        }
    if kind is pd.Timedelta:
        return {"t": "Timedelta", "v": str(value.value), "unit": value.unit}
    if kind is pd.Series:
        return {
            "t": "Series",
            "name": _encode(value.name, depth + 1, count),
            "index": _index(value.index, depth, count),
            "data": _column(value, depth, count),
        }
    if kind is pd.DataFrame:
        if not value.columns.is_unique:
            raise WireError("it is a DataFrame with repeated column names: name each once")
        return {
            "t": "DataFrame",
            "index": _index(value.index, depth, count),
            "columns": _index(value.columns, depth, count),
            "data": [_column(value.iloc[:, i], depth, count) for i in range(value.shape[1])],
        }
    if isinstance(value, pd.Index) and kind in _INDEX_KINDS:
        return _index(value, depth, count)
    if kind is pd.Categorical:
        return {"t": "Categorical", "data": _column(pd.Series(value), depth, count)}
    return None


_NUMPY_SCALARS: set = set()
_INDEX_KINDS: set = set()


def _load_library_kinds() -> None:
    import numpy as np
    import pandas as pd

    _NUMPY_SCALARS.update(
        {
            np.bool_,
            np.int8,
            np.int16,
            np.int32,
            np.int64,
            np.uint8,
            np.uint16,
            np.uint32,
            np.uint64,
            np.float16,
            np.float32,
            np.float64,
            np.complex64,
            np.complex128,
            np.str_,
            np.datetime64,
            np.timedelta64,
        }
    )
    _INDEX_KINDS.update(
        {
            pd.Index,
            pd.RangeIndex,
            pd.DatetimeIndex,
            pd.TimedeltaIndex,
            pd.MultiIndex,
            pd.CategoricalIndex,
            pd.PeriodIndex,
        }
    )


def _array(value, depth, count) -> dict:
    import numpy as np

    dtype = value.dtype
    if dtype.kind in "biufc?":
        flat = [_encode(v, depth + 1, count) for v in value.ravel().tolist()]
    elif dtype.kind in "mM":
        flat = [str(v) for v in value.astype("int64").ravel().tolist()]
    elif dtype.kind in "OUS":
        flat = [
            _encode(v.item() if isinstance(v, np.generic) else v, depth + 1, count)
            for v in value.ravel()
        ]
    else:
        raise WireError(f"it is a numpy array of {dtype}, which the grader cannot read")
    return {"dtype": str(dtype), "shape": list(value.shape), "v": flat}


def _column(series, depth, count) -> dict:
    """One column's values and dtype; categoricals and time zones keep their kind."""
    import pandas as pd

    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return {
            "kind": "category",
            "categories": _index(dtype.categories, depth, count),
            "ordered": bool(dtype.ordered),
            "codes": series.cat.codes.astype("int64").tolist(),
        }
    if isinstance(dtype, pd.DatetimeTZDtype):
        return {
            "kind": "datetimetz",
            "tz": str(dtype.tz),
            "unit": dtype.unit,
            "v": [None if v is pd.NaT else str(v.value) for v in series.tolist()],
        }
    if dtype.kind in "mM":
        values = series.to_numpy()
        mask = pd.isna(series).to_numpy()
        ints = values.astype("int64").tolist()
        return {
            "kind": "time",
            "dtype": str(dtype),
            "v": [None if m else str(i) for i, m in zip(ints, mask, strict=True)],
        }
    if dtype.kind in "biufc?" and not isinstance(dtype, pd.api.extensions.ExtensionDtype):
        return {"kind": "numpy", "dtype": str(dtype), **_array(series.to_numpy(), depth, count)}
    values = series.astype(object).tolist()
    return {
        "kind": "object",
        "dtype": str(dtype),
        "v": [_encode(_plain(v), depth + 1, count) for v in values],
    }


def _plain(value):
    """A value from an object column, as Python or pandas would give it."""
    import numpy as np
    import pandas as pd

    if value is pd.NA:
        return None
    if isinstance(value, np.generic) and not isinstance(value, np.datetime64 | np.timedelta64):
        return value.item()
    return value


def _index(index, depth, count) -> dict:
    import pandas as pd

    kind = type(index)
    if kind is pd.RangeIndex:
        return {
            "t": "RangeIndex",
            "v": [index.start, index.stop, index.step],
            "name": _encode(index.name, depth + 1, count),
        }
    if kind is pd.MultiIndex:
        return {
            "t": "MultiIndex",
            "levels": [
                _index(index.get_level_values(i), depth + 1, count) for i in range(index.nlevels)
            ],
            "names": [_encode(n, depth + 1, count) for n in index.names],
        }
    if kind is pd.PeriodIndex:
        raise WireError("it uses a PeriodIndex: convert it with .to_timestamp() first")
    return {
        "t": "Index",
        "name": _encode(index.name, depth + 1, count),
        "data": _column(pd.Series(index, dtype=index.dtype), depth, count),
    }


# --- test kernel side ----------------------------------------------------------------------------


class Unreadable:
    """Stands for an answer the grader could not read; every use fails with the reason."""

    def __init__(self, name: str, reason: str):
        object.__setattr__(self, "_message", f"your answer `{name}` could not be graded: {reason}")

    def _fail(self, *args, **kwargs):
        raise TypeError(object.__getattribute__(self, "_message"))

    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __hash__ = _fail
    __bool__ = __len__ = __iter__ = __contains__ = __getitem__ = __call__ = _fail
    __float__ = __int__ = __index__ = __add__ = __sub__ = __mul__ = __truediv__ = _fail
    __round__ = __abs__ = __neg__ = _fail

    def __getattr__(self, name):
        self._fail()

    def __repr__(self):
        return f"<unreadable answer: {object.__getattribute__(self, '_message')}>"


class LearnerFunction:
    """The learner's function, called in the learner's kernel with plain data both ways."""

    def __init__(self, ref: int, name: str):
        self._ref = ref
        self.__name__ = name
        self.__qualname__ = name

    def __call__(self, *args, **kwargs):
        request = json.dumps({"ref": self._ref, "args": encode_value((list(args), kwargs))})
        reply = json.loads(input(CALL_PREFIX + request))
        if "error" in reply:
            raise LearnerCodeError(f"your function {self.__name__} raised {reply['error']}")
        if "unreadable" in reply:
            raise LearnerCodeError(
                f"your function {self.__name__} returned something the grader cannot read: "
                + reply["unreadable"]
            )
        return _decode(reply["value"])

    def __repr__(self):
        return f"<your function {self.__name__}>"


class LearnerCodeError(Exception):
    """The learner's function failed or returned something unreadable."""


def encode_value(value) -> dict:
    """Arguments for a learner function, encoded in the test kernel."""
    return _encode(value, 0, [0])


def decode(wire: str):
    """Arguments sent to a learner function: ``(args, kwargs)``."""
    args, kwargs = _decode(json.loads(wire))
    return list(args), dict(kwargs)


def bind(namespace: dict, wire: str) -> list[str]:
    """Define the exported answers in the test kernel; the names that were missing."""
    missing = []
    for name, item in json.loads(wire).items():
        if "value" in item:
            namespace[name] = _decode(item["value"])
        elif "unreadable" in item:
            namespace[name] = Unreadable(name, item["unreadable"])
        else:
            namespace.pop(name, None)
            missing.append(name)
    return missing


def _decode(item):
    if item is None or isinstance(item, bool | str):
        return item
    if not isinstance(item, dict) or "t" not in item:
        raise WireError(f"not a wire value: {str(item)[:80]}")
    kind = item["t"]
    decoder = _DECODERS.get(kind)
    if decoder is None:
        raise WireError(f"unknown wire type {kind!r}")
    return decoder(item)


def _decode_float(text: str) -> float:
    return float(text)


def _decode_library(item):
    import numpy as np
    import pandas as pd

    kind = item["t"]
    if kind == "np":
        dtype = np.dtype(item["dtype"])
        if dtype.kind in "mM":
            return np.array(int(item["v"]), dtype="int64").view(dtype)[()]
        return dtype.type(_decode(item["v"]))
    if kind == "ndarray":
        return _decode_array(item)
    if kind == "NaT":
        return pd.NaT
    if kind == "Timestamp":
        stamp = pd.Timestamp(int(item["v"]), unit="ns")
        stamp = stamp.tz_localize("UTC").tz_convert(item["tz"]) if item["tz"] else stamp
        return stamp.as_unit(item["unit"])
    if kind == "Timedelta":
        return pd.Timedelta(int(item["v"]), unit="ns").as_unit(item["unit"])
    if kind == "Series":
        index = _decode_index(item["index"])
        return pd.Series(_decode_column(item["data"]), index=index, name=_decode(item["name"]))
    if kind == "DataFrame":
        index = _decode_index(item["index"])
        columns = _decode_index(item["columns"])
        data = {i: _decode_column(col) for i, col in enumerate(item["data"])}
        frame = pd.DataFrame(data, index=index) if data else pd.DataFrame(index=index)
        frame.columns = columns
        return frame
    if kind in ("Index", "RangeIndex", "MultiIndex"):
        return _decode_index(item)
    if kind == "Categorical":
        return pd.Categorical(_decode_column(item["data"]))
    raise WireError(f"unknown wire type {kind!r}")


def _decode_array(item):
    import numpy as np

    dtype = np.dtype(item["dtype"])
    shape = tuple(item["shape"])
    if dtype.kind in "mM":
        return np.array([int(v) for v in item["v"]], dtype="int64").view(dtype).reshape(shape)
    values = [_decode(v) for v in item["v"]]
    if dtype.kind == "O":
        array = np.empty(len(values), dtype=object)
        array[:] = values
        return array.reshape(shape)
    return np.array(values, dtype=dtype).reshape(shape)


def _decode_column(col):
    import numpy as np
    import pandas as pd

    kind = col["kind"]
    if kind == "numpy":
        return _decode_array(col)
    if kind == "category":
        categories = _decode_index(col["categories"])
        return pd.Categorical.from_codes(
            col["codes"], categories=categories, ordered=col["ordered"]
        )
    if kind == "datetimetz":
        ints = pd.array([None if v is None else int(v) for v in col["v"]], dtype="Int64")
        values = pd.to_datetime(ints, unit="ns", utc=True)
        return values.tz_convert(col["tz"]).as_unit(col["unit"]).array
    if kind == "time":
        dtype = np.dtype(col["dtype"])
        nat = np.iinfo("int64").min
        ints = np.array([nat if v is None else int(v) for v in col["v"]], dtype="int64")
        return ints.view(dtype)
    values = [_decode(v) for v in col["v"]]
    dtype = col["dtype"]
    if dtype == "object":
        array = np.empty(len(values), dtype=object)
        array[:] = values
        return array
    return pd.array(values, dtype=dtype)


def _decode_index(item):
    import pandas as pd

    kind = item["t"]
    if kind == "RangeIndex":
        start, stop, step = item["v"]
        return pd.RangeIndex(start, stop, step, name=_decode(item["name"]))
    if kind == "MultiIndex":
        levels = [_decode_index(level) for level in item["levels"]]
        return pd.MultiIndex.from_arrays(levels, names=[_decode(n) for n in item["names"]])
    return pd.Index(_decode_column(item["data"]), name=_decode(item["name"]))


_DECODERS = {
    "int": lambda item: int(item["v"]),
    "float": lambda item: _decode_float(item["v"]),
    "complex": lambda item: complex(_decode(item["v"][0]), _decode(item["v"][1])),
    "bytes": lambda item: base64.b64decode(item["v"]),
    "list": lambda item: [_decode(v) for v in item["v"]],
    "tuple": lambda item: tuple(_decode(v) for v in item["v"]),
    "set": lambda item: {_decode(v) for v in item["v"]},
    "frozenset": lambda item: frozenset(_decode(v) for v in item["v"]),
    "dict": lambda item: {_decode(k): _decode(v) for k, v in item["v"]},
    "decimal": lambda item: Decimal(item["v"]),
    "fraction": lambda item: Fraction(int(item["v"][0]), int(item["v"][1])),
    "datetime": lambda item: dt.datetime.fromisoformat(item["v"]),
    "date": lambda item: dt.date.fromisoformat(item["v"]),
    "time": lambda item: dt.time.fromisoformat(item["v"]),
    "timedelta": lambda item: dt.timedelta(*item["v"]),
    "callable": lambda item: LearnerFunction(int(item["v"]), str(item.get("name", "function"))),
    **{
        name: _decode_library
        for name in (
            "np",
            "ndarray",
            "NaT",
            "Timestamp",
            "Timedelta",
            "Series",
            "DataFrame",
            "Index",
            "RangeIndex",
            "MultiIndex",
            "Categorical",
        )
    },
}
