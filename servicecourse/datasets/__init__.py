"""Load the course's datasets by name, and regenerate the synthetic ones from their seeds.

Every dataset is ``datasets/<name>.csv`` with a data card ``datasets/<name>.md`` beside it. A few
raw files in another format (a device's text log, ``datasets/<name>.log``) are found by
``path()`` too; they are read with the module's own parser, not ``load()``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..paths import CourseError, datasets_dir
from .generators import GENERATORS, RAW_GENERATORS

__all__ = [
    "GENERATORS",
    "RAW_GENERATORS",
    "available",
    "card_path",
    "load",
    "path",
    "stale",
    "write_all",
]


def available() -> list[str]:
    return sorted(p.stem for p in datasets_dir().glob("*.csv"))


def path(name: str) -> Path:
    csv = datasets_dir() / f"{name}.csv"
    raw = RAW_GENERATORS.get(name)
    if not csv.exists() and raw is not None and (datasets_dir() / f"{name}{raw.suffix}").exists():
        return datasets_dir() / f"{name}{raw.suffix}"
    if not csv.exists():
        raise CourseError(f"no dataset called {name!r}; the datasets are: {', '.join(available())}")
    return csv


def card_path(name: str) -> Path:
    return datasets_dir() / f"{name}.md"


def load(name: str, **read_csv_options) -> pd.DataFrame:
    """Read a dataset, with the date columns its generator declares already parsed."""
    generator = GENERATORS.get(name)
    if generator is not None and "parse_dates" not in read_csv_options:
        read_csv_options["parse_dates"] = list(generator.date_columns)
    return pd.read_csv(path(name), **read_csv_options)


def _generated_files():
    for name, generator in [*GENERATORS.items(), *RAW_GENERATORS.items()]:
        yield name, generator, datasets_dir() / f"{name}{generator.suffix}"


def stale() -> list[str]:
    """Synthetic datasets whose committed file is not what their seeded generator makes."""
    return [
        name
        for name, generator, target in _generated_files()
        if not target.exists() or target.read_text(encoding="utf-8") != generator.text()
    ]


def write_all() -> list[tuple[Path, int]]:
    """Regenerate every synthetic dataset from its seed; the files written and their seeds."""
    written = []
    for _, generator, target in _generated_files():
        target.write_text(generator.text(), encoding="utf-8")
        written.append((target, generator.seed))
    return written
