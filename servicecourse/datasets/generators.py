"""Seeded generators of the course's synthetic datasets, collected from the ``gen_*`` modules.

Each module of the course keeps its generators in its own file (``gen_intro.py``,
``gen_basics.py``, …) with a ``GENERATORS`` dict; this file finds them all, so adding a
generator never means editing a shared list. Each generator is a pure function of its seed, so
that ``servicecourse datasets`` can prove a committed file is exactly what its documented
generator makes.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Generator:
    """A dataset made by code: the function, its seed and the columns holding dates."""

    make: Callable[[int], pd.DataFrame | str]
    seed: int
    date_columns: tuple[str, ...] = ()
    suffix: str = ".csv"
    """File suffix; a generator whose ``make`` returns text (a raw log) uses e.g. ``".log"``."""

    def frame(self) -> pd.DataFrame:
        return self.make(self.seed)

    def csv_text(self) -> str:
        return self.frame().to_csv(index=False, lineterminator="\n")

    def text(self) -> str:
        """The file's exact text: the CSV of the frame, or the raw text ``make`` returns."""
        made = self.make(self.seed)
        if isinstance(made, str):
            return made
        return made.to_csv(index=False, lineterminator="\n")


def _collect(attribute: str = "GENERATORS") -> dict[str, Generator]:
    from .. import datasets as package

    found: dict[str, Generator] = {}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.name.startswith("gen_"):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            for name, generator in getattr(module, attribute, {}).items():
                if name in found:
                    raise ValueError(f"two generators make the dataset {name!r}")
                found[name] = generator
    return found


GENERATORS: dict[str, Generator] = _collect()
"""Generators of CSV datasets (``datasets/<name>.csv``)."""

RAW_GENERATORS: dict[str, Generator] = _collect("RAW_GENERATORS")
"""Generators of raw text files that are not CSV (``datasets/<name><suffix>``, e.g. a ``.log``),
listed in a ``gen_*`` module's ``RAW_GENERATORS`` dict; checked like the CSV ones."""
