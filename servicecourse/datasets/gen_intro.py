"""Generators of module 01's synthetic data about the fictional company Kallavesi IT."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .generators import Generator

# Monthly contact volumes by channel. Levels: a 25-agent desk handling roughly 200-260 contacts a
# working day; channel shares move from phone towards the self-service portal over 2016-2017,
# and chat opens in January 2017. July is the Finnish summer-holiday low.
_CHANNEL_LEVEL = {"phone": 2300.0, "email": 1500.0, "portal": 700.0, "chat": 0.0}
_CHANNEL_TREND = {"phone": -0.012, "email": -0.004, "portal": 0.035, "chat": 0.0}
_MONTH_FACTOR = np.array([1.12, 1.05, 1.04, 0.98, 0.97, 0.88, 0.62, 0.90, 1.10, 1.08, 1.06, 0.92])


def kallavesi_desk_contacts(seed: int) -> pd.DataFrame:
    """Contacts reaching the (fictional) Kallavesi IT service desk, per month and channel."""
    rng = np.random.default_rng(seed)
    months = pd.period_range("2016-01", "2017-12", freq="M")
    rows = []
    for i, month in enumerate(months):
        season = _MONTH_FACTOR[month.month - 1]
        for channel, level in _CHANNEL_LEVEL.items():
            if channel == "chat":
                # Chat opens in 2017 and is adopted over its first months.
                expected = 0.0 if month.year < 2017 else 650.0 * (1 - np.exp(-(i - 11) / 3.0))
            else:
                expected = level * (1 + _CHANNEL_TREND[channel]) ** i
            lam = max(expected * season, 0.0)
            rows.append(
                {
                    "month": month.strftime("%Y-%m"),
                    "channel": channel,
                    "contacts": int(rng.poisson(lam)),
                }
            )
    return pd.DataFrame(rows)


GENERATORS: dict[str, Generator] = {
    "kallavesi_desk_contacts": Generator(kallavesi_desk_contacts, seed=2016),
}
