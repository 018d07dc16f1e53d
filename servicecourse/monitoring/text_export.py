"""Text logs with words around the numbers, as many DHT22 loggers write them.

For example (CRLF line ends, a power cut in between)::

    2016-11-01 12:00:05  Temperature: 21.4 C  Humidity: 35.2 %
    2016-11-01 12:01:05  Temp=21.5*C Hum=35.0%
    2016-11-01 12:02:40  *** power failure, restart ***

Each line with a time and a temperature is a reading (humidity is optional); a line with a
time and a word such as restart, power, boot or reset is a ``RESTART`` marker: the logger's
own clock kept running (a battery clock), so the lines after it keep their times; unlike
the Yún's ``BOOT``, nothing waits for a clock step. Other lines are counted and skipped.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .config import MonitoringInputError

TIME = re.compile(
    r"(?P<iso>\d{4}-\d\d-\d\d[ T]\d\d:\d\d(?::\d\d(?:\.\d+)?)?)"
    r"|(?P<dmy>\d{1,2}\.\d{1,2}\.\d{4}[ T]\d\d:\d\d(?::\d\d)?)"
)
NUMBER = r"(-?\d+(?:[.,]\d+)?)"
TEMPERATURE = re.compile(r"(?i)\b(?:temperature|temp|t)\s*[:=]?\s*" + NUMBER)
HUMIDITY = re.compile(r"(?i)\b(?:humidity|hum|rh|h)\s*[:=]?\s*" + NUMBER)
RESTART = re.compile(r"(?i)\b(restart\w*|power|boot\w*|reset|started|start-?up)\b")


def looks_labelled(lines: list[str]) -> bool:
    """Most of the first lines have a time and a labelled temperature."""
    hits = sum(bool(TIME.search(line) and TEMPERATURE.search(line)) for line in lines)
    return bool(lines) and hits >= max(1, len(lines) // 2)


def _number(text: str | None) -> float:
    return float(text.replace(",", ".")) if text else np.nan


def read_labelled_text(text: str) -> pd.DataFrame:
    """The raw shape ``clean`` takes, from a labelled text log (see the module's docstring)."""
    rows = []
    skipped = 0
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        time = TIME.search(line)
        if not time:
            skipped += 1
            continue
        rest = line[time.end() :]
        temp = TEMPERATURE.search(rest)
        if temp:
            humidity = HUMIDITY.search(rest[temp.end() :]) or HUMIDITY.search(rest)
            rows.append(
                (time.group(0), _number(temp.group(1)), _number(humidity and humidity.group(1)), "")
            )
        elif RESTART.search(rest):
            rows.append((time.group(0), np.nan, np.nan, "RESTART"))
        else:
            skipped += 1
    if not rows:
        raise MonitoringInputError(
            "no line has a time and a labelled temperature (e.g. '2016-11-01 12:00:05 "
            "Temperature: 21.4 C Humidity: 35 %'); check the file"
        )
    stamps = pd.Series([r[0] for r in rows])
    dotted = stamps.str.match(r"\d{1,2}\.")
    local = pd.to_datetime(stamps.where(~dotted), errors="coerce", format="mixed")
    if dotted.any():
        local[dotted] = pd.to_datetime(
            stamps[dotted], dayfirst=True, errors="coerce", format="mixed"
        )
    frame = pd.DataFrame(
        {
            "local": local,
            "temp_c": [r[1] for r in rows],
            "rh_pct": [r[2] for r in rows],
            "marker": [r[3] for r in rows],
            "step_s": np.nan,
        }
    )
    frame.attrs["skipped_lines"] = skipped
    return frame[frame["local"].notna()].reset_index(drop=True)
