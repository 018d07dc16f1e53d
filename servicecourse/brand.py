"""Tools for module 05 (brand management): the scales of customer-experience measures, the
levels of Keller's brand equity pyramid, and a bootstrap helper.

These are tools, not answers: nothing here computes a score of the course's data for you.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Scale:
    """A survey scale: its range, which end is good, and how the usual score is formed."""

    name: str
    low: int
    high: int
    high_is_good: bool
    score: str
    source: str


SCALES: dict[str, Scale] = {
    "nps": Scale(
        "Net Promoter Score question (likelihood to recommend)",
        0,
        10,
        True,
        "% promoters (9-10) minus % detractors (0-6), from -100 to +100; passives (7-8) count "
        "in the denominator only",
        "Reichheld 2003, Harvard Business Review",
    ),
    "csat_top2": Scale(
        "CSAT, 1-5 satisfaction, top-two-box",
        1,
        5,
        True,
        "% of answers that are 4 or 5 (a common industry convention)",
        "industry convention; a mean-based variant reports the mean of 1-5",
    ),
    "ces_original": Scale(
        "Customer Effort Score, original question (how much effort did you personally have "
        "to put forth)",
        1,
        5,
        False,
        "mean of 1-5, where 1 = very low effort: LOW is good",
        "Dixon, Freeman & Toman 2010, Harvard Business Review",
    ),
    "ces_2": Scale(
        "CES 2.0, agreement that the company made it easy to handle the issue",
        1,
        7,
        True,
        "mean of 1-7, or the % who agree (5-7): HIGH is good",
        "the 1-7 agreement form that followed the original question; see vendors' documentation",
    ),
}
"""The scale variants the module names. Say which one you used whenever you report a score."""

CBBE_LEVELS: list[tuple[str, list[str]]] = [
    ("identity: who are you?", ["salience"]),
    ("meaning: what are you?", ["performance", "imagery"]),
    ("response: what about you?", ["judgments", "feelings"]),
    ("relationships: what about you and me?", ["resonance"]),
]
"""Keller's four levels, from the bottom of the pyramid up, with their building blocks."""


def bootstrap(
    values,
    statistic: Callable[[np.ndarray], float],
    resamples: int = 2000,
    seed: int = 0,
) -> np.ndarray:
    """The statistic of ``resamples`` samples drawn with replacement from ``values``.

    ``statistic`` is your own function of one sample (a numpy array); missing values are
    dropped before resampling. Read an interval from the result with ``np.percentile``.
    """
    data = np.asarray(values, dtype=float)
    data = data[~np.isnan(data)]
    if data.size == 0:
        raise ValueError("bootstrap needs at least one value that is not missing")
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, data.size, size=(resamples, data.size))
    return np.array([statistic(data[row]) for row in picks])
