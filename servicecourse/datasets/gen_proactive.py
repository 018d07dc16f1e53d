"""Generators of module 04's SIMULATED Yún recording of the fictional Kallavesi IT server room.

The pilot's real log is not available, so this module simulates what an Arduino Yún with a
DHT22 temperature/humidity sensor would have written in October–December 2016: one line a
minute, stamped in local time (Europe/Helsinki) by the Yún's Linux clock, with the faults such a
device has. Everything is a pure function of the seed.

The raw log (``datasets/yun_server_room_2016.log``) is tab-separated text::

    # comment lines (header)
    2016-10-01 03:00:05<TAB>21.4<TAB>31.2      a reading: local time, temp_c, rh_pct
    2016-10-01 03:01:05<TAB>nan<TAB>nan        a failed read (the DHT library returns NaN)
    2016-11-15 13:49:02<TAB>BOOT<TAB>...       the Yún restarted; clock not yet synchronised
    2016-11-15 14:20:44<TAB>NTP<TAB>step +N s  ntpd stepped the clock by N seconds

The ground truth (``datasets/yun_server_room_2016_labels.csv``) lists the labelled incidents,
sensor faults and device faults with start and end in UTC.

Example (one simulated week, no faults, as a clean frame):

>>> frame = simulate_readings(1, start="2016-10-03", days=7)
>>> frame.shape, round(float(frame.temp_c.median()))
((10080, 2), 21)
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .generators import Generator

SEED = 404
TZ = "Europe/Helsinki"
START = "2016-10-01 00:00"  # local time
END = "2017-01-01 00:00"  # local time, exclusive
STALE_CLOCK = pd.Timestamp("2016-09-12 11:03:27", tz="UTC")  # newest /etc file: sysfixtime

# The labelled incidents and sensor faults: (kind, local start, local end, description).
# The end is when the room (or the sensor) is back to normal.
INCIDENTS: list[tuple[str, str, str, str]] = [
    (
        "cooling_failure",
        "2016-10-11 14:20",
        "2016-10-11 17:50",
        "CRAC unit trips; temperature rises exponentially until it is restarted at 16:50",
    ),
    (
        "door_open",
        "2016-10-27 09:40",
        "2016-10-27 17:40",
        "door propped open during a delivery; room drifts to corridor air, closed at 16:10",
    ),
    (
        "sensor_stuck",
        "2016-11-08 02:13",
        "2016-11-09 10:41",
        "DHT22 returns the same bytes again and again until power-cycled",
    ),
    (
        "sensor_dead",
        "2016-11-22 17:05",
        "2016-11-23 08:32",
        "DHT22 stops answering: every read fails (NaN) until the sensor is replaced",
    ),
    (
        "slow_degradation",
        "2016-12-05 06:00",
        "2016-12-14 10:30",
        "clogging CRAC filter: a creeping temperature trend until maintenance",
    ),
    (
        "cooling_failure",
        "2016-12-20 02:50",
        "2016-12-20 05:30",
        "night-time compressor fault; restarted by the on-call engineer at 04:10",
    ),
]

# Seconds each reading is stamped after the full minute (the sketch's loop).
_STAMP_SECOND = 5


@dataclass(frozen=True)
class Simulation:
    """The simulated truth (UTC minute grid) and what the Yún wrote."""

    truth: pd.DataFrame  # index UTC minutes; columns temp_c, rh_pct (sensor readings, no faults)
    log: str
    labels: pd.DataFrame


def magnus_saturation_hpa(temp_c):
    """Saturation vapour pressure over water (Magnus formula, hPa).

    >>> round(float(magnus_saturation_hpa(20.0)), 1)
    23.3
    """
    temp_c = np.asarray(temp_c, dtype=float)
    return 6.112 * np.exp(17.62 * temp_c / (243.12 + temp_c))


def relative_humidity(temp_c, absolute_g_m3):
    """RH (%) of air at ``temp_c`` holding ``absolute_g_m3`` grams of water per m³.

    At constant absolute humidity RH falls when the air warms:

    >>> float(relative_humidity(20.0, 6.0).round(1)), float(relative_humidity(25.0, 6.0).round(1))
    (34.8, 26.1)
    """
    temp_c = np.asarray(temp_c, dtype=float)
    vapour_hpa = np.asarray(absolute_g_m3, dtype=float) * (273.15 + temp_c) / 216.7
    return 100.0 * vapour_hpa / magnus_saturation_hpa(temp_c)


def _room(index_utc: pd.DatetimeIndex, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Baseline room temperature (°C) and absolute humidity (g/m³) on a UTC minute grid."""
    local = index_utc.tz_convert(TZ)
    hour = local.hour.to_numpy() + local.minute.to_numpy() / 60.0
    weekday = local.day_of_week.to_numpy() < 5
    days = (index_utc - index_utc[0]).total_seconds().to_numpy() / 86400.0
    # Season: 1 at the July peak of Kuopio's warmth and moisture, -1 in mid-January.
    season = np.cos(2 * np.pi * (local.day_of_year.to_numpy() - 200) / 365.25)
    # Setpoint 21.0 °C; the room runs slightly cooler in winter (free cooling helps the CRAC).
    base = 21.0 + 0.4 * season
    # Office-hours load (servers busier, people in and out) on weekdays, small on weekends,
    # plus the nightly backup job 01:00-03:00.
    office = np.clip(np.sin(np.pi * (hour - 7.5) / 10.5), 0, None)
    load = np.where(weekday, 0.6, 0.15) * office
    backup = 0.3 * ((hour >= 1) & (hour < 3))
    # HVAC on/off control: a triangle wave whose period wanders between about 18 and 30 min.
    period = 24 + 6 * np.sin(2 * np.pi * days / 3.1)
    phase = np.cumsum(1.0 / period)
    hvac = 0.35 * (2 * np.abs(2 * (phase % 1.0) - 1) - 1)
    temp = base + load + backup + hvac
    # Absolute humidity: ~10 g/m³ in summer, ~7.5 in October, ~3.5 in winter, with weather fronts.
    weather = sum(
        a * np.sin(2 * np.pi * days / p + rng.uniform(0, 2 * np.pi))
        for a, p in ((0.5, 6.3), (0.35, 3.7), (0.2, 1.9))
    )
    absolute = 6.75 + 3.25 * season + weather
    return temp, absolute


def _apply_incidents(index_utc, temp, absolute, incidents, rng):
    """Add each labelled incident's signature; return the masks of stuck and dead minutes."""
    stuck = np.zeros(len(index_utc), bool)
    dead = np.zeros(len(index_utc), bool)
    minutes = index_utc.as_unit("ns").asi8 // 60_000_000_000
    labels = []
    for kind, start_local, end_local, description in incidents:
        start = pd.Timestamp(start_local).tz_localize(TZ).tz_convert("UTC")
        end = pd.Timestamp(end_local).tz_localize(TZ).tz_convert("UTC")
        labels.append((kind, start, end, description))
        t = (minutes - start.value // 60_000_000_000).astype(float)  # minutes since start
        inside = (t >= 0) & (minutes < end.value // 60_000_000_000)
        if kind == "cooling_failure":
            fixed = {"2016-10-11 14:20": 150.0}.get(start_local, 80.0)
            rise = np.where(t >= 0, 38.0 - temp, 0) * (1 - np.exp(-np.clip(t, 0, fixed) / 40.0))
            peak = np.exp(-np.clip(t - fixed, 0, None) / 20.0)
            temp += np.where(t >= 0, rise * peak, 0)
        elif kind == "door_open":
            closed = 390.0
            mix = 0.75 * (1 - np.exp(-np.clip(t, 0, closed) / 25.0))
            mix = mix * np.exp(-np.clip(t - closed, 0, None) / 30.0)
            mix = np.where(t >= 0, mix, 0)
            temp += mix * (24.5 - temp)
            absolute += mix * (9.0 - absolute)
        elif kind == "slow_degradation":
            span = (end - start).total_seconds() / 60.0
            temp += np.where(inside, 6.4 * (t / span) ** 2, 0)
        elif kind == "sensor_stuck":
            stuck |= inside
        elif kind == "sensor_dead":
            dead |= inside
    return stuck, dead, labels


def simulate_readings(seed: int, start: str = START, days: float = 92.0) -> pd.DataFrame:
    """Clean simulated readings (DHT traits, no incidents, no device faults) on a UTC minute grid.

    Used by the benchmarks to make long series with the same machinery as the course log.
    """
    rng = np.random.default_rng(seed)
    first = pd.Timestamp(start).tz_localize(TZ).tz_convert("UTC")
    index = pd.date_range(first, periods=int(days * 1440), freq="min", name="time")
    temp, absolute = _room(index, rng)
    return _sensor(index, temp, absolute, rng)


def _sensor(index, temp, absolute, rng) -> pd.DataFrame:
    """What a DHT22 reads: bias, noise and 0.1 resolution."""
    rh = relative_humidity(temp, absolute)
    temp_read = np.round(temp + 0.2 + rng.normal(0, 0.08, len(index)), 1)
    rh_read = np.round(np.clip(rh + rng.normal(0, 0.8, len(index)), 0, 100), 1)
    return pd.DataFrame({"temp_c": temp_read, "rh_pct": rh_read}, index=index)


def _fault_times(index, rng, count, avoid):
    """``count`` random minute positions, away from the labelled incidents and the DST night."""
    chosen: list[int] = []
    while len(chosen) < count:
        i = int(rng.integers(1440, len(index) - 1440))
        ts = index[i]
        if any(a - pd.Timedelta("1D") <= ts <= b + pd.Timedelta("12h") for a, b in avoid):
            continue
        if any(abs(i - j) < 2 * 1440 for j in chosen):
            continue
        chosen.append(i)
    return sorted(chosen)


@functools.lru_cache(maxsize=4)
def simulate(
    seed: int = SEED,
    start: str = START,
    end: str = END,
    incidents: tuple[tuple[str, str, str, str], ...] = tuple(INCIDENTS),
    reboots: int = 3,
    dropouts: int = 14,
) -> Simulation:
    """The whole simulated recording (by default the course's quarter): truth, log, labels.

    ``start`` and ``end`` are local times; the benchmarks simulate a whole year by passing
    other dates and an incident schedule moved to them.
    """
    rng = np.random.default_rng(seed)
    first = pd.Timestamp(start).tz_localize(TZ).tz_convert("UTC")
    last = pd.Timestamp(end).tz_localize(TZ).tz_convert("UTC")
    index = pd.date_range(first, last, freq="min", inclusive="left", name="time")
    n = len(index)
    temp, absolute = _room(index, rng)
    stuck, dead, incident_labels = _apply_incidents(index, temp, absolute, list(incidents), rng)
    truth = _sensor(index, temp, absolute, rng)

    temp_txt = truth.temp_c.map("{:.1f}".format).to_numpy(dtype=object)
    rh_txt = truth.rh_pct.map("{:.1f}".format).to_numpy(dtype=object)
    # DHT traits: failed reads (NaN), the logger's sentinel, bit-error values and spikes.
    u = rng.random(n)
    failed = u < 0.004
    sentinel = (u >= 0.004) & (u < 0.0045)
    bit_error = (u >= 0.0045) & (u < 0.0047)
    spike = (u >= 0.0047) & (u < 0.0050)
    temp_txt[failed] = "nan"
    rh_txt[failed] = "nan"
    temp_txt[sentinel] = "-999.0"
    rh_txt[sentinel] = "-999.0"
    temp_txt[bit_error] = "3276.7"
    rh_txt[bit_error] = "6553.5"
    jump = rng.choice([-1, 1], spike.sum()) * rng.uniform(3, 8, spike.sum())
    temp_txt[spike] = [f"{v:.1f}" for v in truth.temp_c.to_numpy()[spike] + jump]
    # Sensor stuck: the same bytes each minute; sensor dead: every read fails.
    for start_i in np.flatnonzero(stuck & ~np.r_[False, stuck[:-1]]):
        run = stuck[start_i:].argmin() or (n - start_i)
        temp_txt[start_i : start_i + run] = temp_txt[start_i - 1]
        rh_txt[start_i : start_i + run] = rh_txt[start_i - 1]
    temp_txt[dead] = "nan"
    rh_txt[dead] = "nan"

    # The Yún: Wi-Fi/bridge drop-outs (no lines), reboots (stale clock until NTP steps it).
    avoid = [(s, e) for _, s, e, _ in incident_labels]
    dst_end = _dst_end(index)
    if dst_end is not None:
        avoid.append((dst_end - pd.Timedelta("3h"), dst_end + pd.Timedelta("3h")))
    keep = np.ones(n, bool)
    device_labels = []
    positions = _fault_times(index, rng, reboots + dropouts, avoid)
    order = rng.permutation(len(positions))
    reboot_at = sorted(positions[k] for k in order[:reboots])
    dropout_at = sorted(positions[k] for k in order[reboots:])
    for i in dropout_at:
        length = int(np.clip(rng.lognormal(2.6, 0.7), 3, 50))
        keep[i : i + length] = False
        device_labels.append(
            ("wifi_dropout", index[i], index[i + length], f"Wi-Fi/bridge drop-out, {length} min")
        )
    clock = index.copy()  # what the Yún's clock says (UTC)
    markers: list[tuple[int, str, str]] = []
    for i in reboot_at:
        down = int(rng.integers(1, 3))
        unsynced = int(rng.integers(6, 40))
        keep[i : i + down] = False
        boot_real = index[i + down] - pd.Timedelta(seconds=50)
        step = boot_real - STALE_CLOCK
        sl = slice(i + down, i + down + unsynced)
        clock = clock.where(~((np.arange(n) >= sl.start) & (np.arange(n) < sl.stop)), clock - step)
        boot_stamp = STALE_CLOCK
        markers.append((i + down, _local(boot_stamp), "BOOT\tclock from sysfixtime, not synced"))
        sync_time = index[sl.stop - 1] + pd.Timedelta(seconds=40)
        markers.append((sl.stop, _local(sync_time), f"NTP\tstep +{step.total_seconds():.0f} s"))
        device_labels.append(
            (
                "reboot",
                index[i],
                index[sl.stop],
                f"Yún reboot; {down} min down, clock unsynchronised for {unsynced} min",
            )
        )
    if dst_end is not None:
        device_labels.append(
            (
                "dst_repeated_hour",
                dst_end - pd.Timedelta("1h"),
                dst_end,
                "local 03:00-03:59 occurs twice when summer time ends",
            )
        )

    stamps = _local(clock + pd.Timedelta(seconds=_STAMP_SECOND))
    lines = pd.Series(stamps + "\t" + temp_txt + "\t" + rh_txt)
    duplicate = rng.random(n) < 0.003
    repeat = np.where(keep, 1 + duplicate, 0)
    body = lines.to_numpy()
    out = list(np.repeat(body, repeat))
    # Insert the BOOT/NTP markers before the line they precede (positions in the kept lines).
    kept_before = np.concatenate([[0], np.cumsum(repeat)])
    for pos, stamp, text in sorted(markers, reverse=True):
        out.insert(int(kept_before[pos]), f"{stamp}\t{text}")
    header = [
        "# SIMULATED DATA - not a real recording. Generated by servicecourse.datasets.gen_proactive"
        f" (seed {seed}).",
        "# Arduino Yun + DHT22 in the server room of Kallavesi IT (a fictional company), Kuopio.",
        "# Fields (tab-separated): local time (Europe/Helsinki, no offset), temp_c, rh_pct.",
        "# BOOT = the Yun restarted (clock not synchronised); NTP = ntpd stepped the clock.",
    ]
    log = "\n".join(header + out) + "\n"

    labels = pd.DataFrame(
        [
            (k, "incident" if k in _INCIDENT_KINDS else "sensor_fault", s, e, d)
            for k, s, e, d in incident_labels
        ]
        + [(k, "device_fault", s, e, d) for k, s, e, d in device_labels],
        columns=["kind", "category", "start", "end", "description"],
    )
    labels = labels.sort_values("start", kind="stable").reset_index(drop=True)
    return Simulation(truth=truth, log=log, labels=labels)


def _dst_end(index: pd.DatetimeIndex) -> pd.Timestamp | None:
    """The UTC instant summer time ends within ``index`` (local clocks go back), if any."""
    local = index.tz_convert(TZ)
    hours = pd.Series(local.tz_localize(None) - index.tz_localize(None))
    back = np.flatnonzero(hours.diff().to_numpy() < pd.Timedelta(0))
    return index[back[0]] if len(back) else None


_INCIDENT_KINDS = {"cooling_failure", "door_open", "slow_degradation"}


def _local(times) -> np.ndarray | str:
    """UTC time(s) as the Yún's local-time stamp text (no offset)."""
    if isinstance(times, pd.Timestamp):
        return times.tz_convert(TZ).strftime("%Y-%m-%d %H:%M:%S")
    return np.asarray(pd.DatetimeIndex(times).tz_convert(TZ).strftime("%Y-%m-%d %H:%M:%S"))


def yun_server_room_2016(seed: int) -> str:
    """The raw text log the (simulated) Yún wrote, October–December 2016."""
    return simulate(seed).log


def yun_server_room_2016_labels(seed: int) -> pd.DataFrame:
    """Ground truth of the simulated log: kind, category, start and end (UTC), description."""
    labels = simulate(seed).labels.copy()
    for column in ("start", "end"):
        labels[column] = labels[column].dt.strftime("%Y-%m-%d %H:%M:%S+00:00")
    return labels


GENERATORS = {
    "yun_server_room_2016_labels": Generator(
        yun_server_room_2016_labels, seed=SEED, date_columns=("start", "end")
    ),
}

RAW_GENERATORS = {
    "yun_server_room_2016": Generator(yun_server_room_2016, seed=SEED, suffix=".log"),
}
