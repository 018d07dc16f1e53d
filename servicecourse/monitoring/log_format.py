"""What a Yún log line looks like, what it may contain, and the flags cleaning gives.

Shared by the general reader (``yun_log``), its fast twin (``fast_parse``) and ``clean``.
A line is ``local time<TAB>temp_c<TAB>rh_pct`` (see ``servicecourse.datasets.gen_proactive``);
a reboot writes a ``BOOT`` line and ntpd an ``NTP`` line with the clock step in seconds.
"""

from __future__ import annotations

from .config import MonitoringInputError

FLAGS = (
    "ok",
    "gap",
    "failed_read",
    "sentinel",
    "impossible",
    "spike",
    "duplicate",
    "clock_unsynced",
    "zero_pair",
)
"""What ``clean`` found at each minute (its ``flag`` column); see ``yun_log``'s steps."""

MARKERS = ("", "BOOT", "NTP", "RESTART")
"""A line's marker: none (a reading), a reboot (the clock is lost until the next ``NTP``
step), ntpd stepping the clock, or a logger restart that kept its own clock (``text_export``)."""

SENTINELS = (-999.0, -9999.0)
"""What the logger writes when the sensor does not answer."""

TEMP_RANGE = (-40.0, 80.0)
RH_RANGE = (0.0, 100.0)
"""The DHT22's measuring ranges (°C, %RH): a value outside them is impossible."""

NTP_STEP = r"([-+]?\d+(?:\.\d+)?)"
"""The number in an NTP line's note (``step +4480423 s``): the clock step in seconds."""


class LogFormatError(MonitoringInputError):
    """The text is not a Yún log (e.g. a CSV export); the message names the fix."""
