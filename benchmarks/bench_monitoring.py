"""Benchmark of the monitoring engine (module 04): prints figures, asserts nothing.

- one year (525,600 one-minute readings) simulated with the course's Yún generator, written as
  a raw log: parse, clean, detect events, correlate incidents and score against the labels
  (goal: 0.5 s for all of it, parsing included; best and median of five runs, with the load);
- the same static threshold rule (hysteresis + ``for:`` duration) and incident grouping written
  as plain row-by-row Python, measured in the same run, checked to give the same events;
- re-detection on a 30-day window (what a dashboard does when a slider moves);
- NAB scores of the recommended default, the rolling z-score baseline and a static 60/80 °F
  threshold on the real NAB ambient-temperature series, with the default's sensitivity;
- the written protocol that chooses the default: tuned on the simulated Yún year only, then
  checked on NAB (``default_protocol``).

Run with `.venv/bin/python benchmarks/bench_monitoring.py`.
"""

from __future__ import annotations

import os
import statistics
import time

import pandas as pd

from servicecourse import monitoring
from servicecourse.classroom.measures import monitoring as measures
from servicecourse.datasets import gen_proactive
from servicecourse.monitoring import checks, nab, rules

YEAR_START, YEAR_END = "2017-01-01 00:00", "2018-01-01 00:00"


def best_of(func, repeat=5):
    times, out = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        out = func()
        times.append(time.perf_counter() - started)
    return min(times), statistics.median(times), out


def year_log():
    """A year of the simulated Yún log: the 2016 incident schedule moved to 2017."""
    incidents = tuple(
        (kind, start.replace("2016", "2017"), end.replace("2016", "2017"), text)
        for kind, start, end, text in gen_proactive.INCIDENTS
    )
    sim = gen_proactive.simulate(
        2017, YEAR_START, YEAR_END, incidents=incidents, reboots=12, dropouts=50
    )
    return sim.log, sim.labels


def naive_threshold(readings, limits, hysteresis, for_steps):
    """Row-by-row version of the static threshold rule (the reference for the speed-up): a
    loop over the DataFrame's rows, one state machine per limit, as a first draft would be."""
    events = []
    state = {limit: {"firing": False, "run": 0, "start": None} for limit, _ in limits}
    for row in readings.itertuples():
        v = row.temp_c
        if v != v:  # NaN: no information; a pending alert starts again, a firing one holds
            for s in state.values():
                s["run"] = 0
            continue
        for limit, severity in limits:
            s = state[limit]
            s["run"] = s["run"] + 1 if v >= limit else 0
            if not s["firing"] and s["run"] >= for_steps + 1:
                s["firing"], s["start"] = True, (row.Index, v)
            elif s["firing"] and v < limit - hysteresis:
                s["firing"] = False
                events.append((s["start"][0], row.Index, severity, s["start"][1]))
    for limit, severity in limits:
        if state[limit]["firing"]:
            events.append((state[limit]["start"][0], None, severity, state[limit]["start"][1]))
    return events


def naive_threshold_lists(times, values, limit, hysteresis, for_steps, severity):
    """The same rule over plain Python lists (no DataFrame access at all)."""
    events = []
    firing = False
    run = 0
    start = None
    for i in range(len(values)):
        v = values[i]
        if v != v:
            run = 0
            continue
        run = run + 1 if v >= limit else 0
        if not firing and run >= for_steps + 1:
            firing, start = True, i
        elif firing and v < limit - hysteresis:
            firing = False
            events.append((times[start], times[i], severity, values[start]))
    if firing:
        events.append((times[start], None, severity, values[start]))
    return events


def naive_incidents(events, merge_gap):
    """Row-by-row grouping of events into incidents."""
    incidents = []
    for start, end, _severity, _ in sorted(events, key=lambda e: e[0]):
        end = end if end is not None else start
        if incidents and start <= incidents[-1][1] + merge_gap:
            last = incidents[-1]
            incidents[-1] = [last[0], max(last[1], end), last[2] + 1]
        else:
            incidents.append([start, end, 1])
    return incidents


def main() -> None:
    started = time.perf_counter()
    text, labels = year_log()
    print(
        f"simulated one year: {len(text) / 1e6:.1f} MB of log "
        f"in {time.perf_counter() - started:.1f} s"
    )
    config = monitoring.DEFAULT_CONFIG

    t_parse, m_parse, raw = best_of(lambda: monitoring.read_log(text), 5)
    t_clean, m_clean, readings = best_of(lambda: monitoring.clean(raw), 5)
    t_run, m_run, result = best_of(lambda: monitoring.run(readings, config), 5)
    t_score, m_score, scores = best_of(lambda: measures.score(result, labels), 5)
    pipeline = t_parse + t_clean + t_run + t_score
    median = m_parse + m_clean + m_run + m_score
    print(
        f"readings: {len(readings):,} minutes; events {len(result.events)}, "
        f"incidents {len(result.incidents)}"
    )
    print("                     best    median")
    print(f"parse log text       {t_parse:6.3f} s {m_parse:6.3f} s")
    print(f"clean (UTC, flags)   {t_clean:6.3f} s {m_clean:6.3f} s")
    print(f"events + incidents   {t_run:6.3f} s {m_run:6.3f} s")
    print(f"score                {t_score:6.3f} s {m_score:6.3f} s")
    print(
        f"whole pipeline parse+clean+run+score: {pipeline:.3f} s best, {median:.3f} s median "
        f"(goal 0.5 s); without parsing {pipeline - t_parse:.3f} s; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    print(
        f"year scores: recall {scores['recall']:.2f}, precision {scores['precision']:.2f}, "
        f"false alarms/week {scores['false_alarms_per_week']:.2f}, "
        f"MTTD {scores['mttd_minutes']:.0f} min, lead {scores['lead_time_hours']:.1f} h, "
        f"NAB {scores['nab_score']}"
    )

    # Same rule and grouping, vectorised vs row by row.
    for_steps = checks.steps(config.temp_for, pd.Timedelta("1min"))
    gap = pd.Timedelta(config.merge_gap)
    limits = [(config.temp_warning, "warning"), (config.temp_critical, "exception")]

    def vectorised():
        events = pd.concat(
            [
                rules.threshold_events(
                    readings, "temp_c", config.temp_warning, config.temp_hysteresis, config.temp_for
                ),
                rules.threshold_events(
                    readings,
                    "temp_c",
                    config.temp_critical,
                    config.temp_hysteresis,
                    config.temp_for,
                    severity="exception",
                    rule="threshold_critical",
                ),
            ],
            ignore_index=True,
        )
        return events, monitoring.correlate(events, config)

    def naive():
        events = naive_threshold(readings, limits, config.temp_hysteresis, for_steps)
        return events, naive_incidents(events, gap)

    def naive_lists():
        times, values = list(readings.index), readings["temp_c"].tolist()
        events = []
        for limit, severity in limits:
            events += naive_threshold_lists(
                times, values, limit, config.temp_hysteresis, for_steps, severity
            )
        return events, naive_incidents(events, gap)

    t_vec, _, (vec_events, vec_incidents) = best_of(vectorised, 5)
    t_naive, _, (naive_events, naive_groups) = best_of(naive, 1)
    t_lists, _, (list_events, _) = best_of(naive_lists, 1)
    same = sorted(
        (e.time, None if pd.isna(e.end) else e.end, e.severity) for e in vec_events.itertuples()
    ) == sorted((s, e, sev) for s, e, sev, _ in naive_events)
    same = same and sorted(naive_events, key=str) == sorted(list_events, key=str)
    same_groups = [(i.start, i.n_events) for i in vec_incidents.itertuples()] == [
        (g[0], g[2]) for g in naive_groups
    ]
    print(
        f"threshold rule + grouping: vectorised {t_vec * 1000:.1f} ms; row-by-row over the "
        f"DataFrame (itertuples) {t_naive:.3f} s, speed-up {t_naive / t_vec:.0f}x (goal 50x); "
        f"row-by-row over plain lists {t_lists:.3f} s, speed-up {t_lists / t_vec:.1f}x; "
        f"same events: {same}, same incidents: {same_groups} ({len(naive_events)} events)"
    )
    print(f"whole pipeline vs the row-by-row threshold rule alone: {t_naive / pipeline:.1f}x")

    window = readings.iloc[-30 * 1440 :]
    t_window, t_window_median, _ = best_of(lambda: monitoring.run(window, config), 7)
    print(
        f"30-day window re-detection: {t_window * 1000:.1f} ms best, "
        f"{t_window_median * 1000:.1f} ms median (goal 50 ms)"
    )

    compare = nab.compare()
    print(
        f"NAB ambient temperature (standard profile, normalised for the file): "
        f"default {compare['default']['score']:.1f} "
        f"(tp {compare['default']['tp']}, fp {compare['default']['fp']}), "
        f"z-score baseline {compare['zscore']['score']:.1f} "
        f"(tp {compare['zscore']['tp']}, fp {compare['zscore']['fp']})"
    )
    frame, windows = nab.load_nab()
    stamps = pd.DatetimeIndex(frame["timestamp"])
    table = []
    for k in (4.0, 5.0, 6.0, 7.0):
        for days in (7, 14, 28):
            cfg = config.with_(baseline_k=k, baseline_days=days)
            score = monitoring.nab_score(stamps, nab.default_detector(frame, cfg), windows)["score"]
            table.append(f"k={k:g}/{days}d:{score:.0f}")
    print(
        "NAB sensitivity of the baseline rule (k robust SD / days of history; default "
        f"{config.baseline_k:g}/{config.baseline_days}): " + ", ".join(table)
    )
    needed = []
    for min_days in (1, 2, 3, 4, 5, 7, 10):
        cfg = config.with_(baseline_min_days=min_days)
        score = monitoring.nab_score(stamps, nab.default_detector(frame, cfg), windows)["score"]
        needed.append(f"{min_days}d:{score:.0f}")
    print(
        "NAB sensitivity to the history needed before the baseline alerts (default "
        f"{config.baseline_min_days} days): " + ", ".join(needed)
    )
    print(
        f"static 60/80 °F threshold (2 rows) on NAB: {compare['static']['score']:.1f} "
        f"(tp {compare['static']['tp']}, fp {compare['static']['fp']})"
    )
    default_protocol(readings, labels, config, frame, windows)


GRID = {"baseline_k": (3.0, 4.0, 5.0, 6.0, 7.0), "baseline_min_days": (3, 5, 7, 10)}


def default_protocol(readings, labels, config, frame, windows) -> None:
    """How the default is chosen, written down (issue: a default that generalises).

    1. Tune on the simulated Yún year only: F1 of the whole pipeline against its labels, for
       every (k, minimum days of history) of GRID.
    2. Keep the settings inside the plateau of best F1 (each grid neighbour reaches it too),
       and of those choose the most sensitive: the lowest k, then the least history.
    3. Only then look at NAB's real series, which nobody tuned on, and print both.
    """
    ks, mins = GRID["baseline_k"], GRID["baseline_min_days"]
    f1 = {}
    for k in ks:
        for min_days in mins:
            cfg = config.with_(baseline_k=k, baseline_min_days=min_days)
            s = measures.score(monitoring.run(readings, cfg), labels)
            p, r = s["precision"], s["recall"]
            f1[k, min_days] = 2 * p * r / (p + r) if p + r else 0.0
    print("protocol step 1, F1 on the simulated Yún year (rows k, columns min days):")
    print("      " + " ".join(f"{m:>5d}" for m in mins))
    for k in ks:
        print(f"  k={k:g} " + " ".join(f"{f1[k, m]:5.2f}" for m in mins))

    best = max(f1.values())

    def on_plateau(k, m) -> bool:
        """The setting and every grid neighbour (one step each way) reach the best F1: a
        constant one step from a cliff is fragile."""
        i, j = ks.index(k), mins.index(m)
        near = [
            (ks[a], mins[b])
            for a in range(max(i - 1, 0), min(i + 2, len(ks)))
            for b in range(max(j - 1, 0), min(j + 2, len(mins)))
        ]
        inside = 0 < i < len(ks) - 1  # an edge of the grid says nothing about what lies beyond
        return inside and all(f1[n] >= best - 0.01 for n in near)

    plateau = [key for key in f1 if on_plateau(*key)]
    # The most sensitive setting on the plateau (lowest k, least history needed): a simulated
    # log with large anomalies cannot tell k = 6 from k = 9, but a real series with subtle ones
    # can, and a learned baseline is silent until it has its days of history.
    chosen = min(plateau, key=lambda key: (key[0], key[1])) if plateau else max(f1, key=f1.get)

    def worst_around(k, m):
        i, j = ks.index(k), mins.index(m)
        return min(
            f1[ks[a], mins[b]]
            for a in range(max(i - 1, 0), min(i + 2, len(ks)))
            for b in range(max(j - 1, 0), min(j + 2, len(mins)))
        )

    current = (config.baseline_k, config.baseline_min_days)
    print(
        f"protocol step 2, the most sensitive setting inside the plateau: k={chosen[0]:g}, "
        f"min days {chosen[1]} "
        f"(F1 {f1[chosen]:.2f}, worst neighbour {worst_around(*chosen):.2f}); the default is "
        f"k={current[0]:g}, min days {current[1]} (worst neighbour "
        f"{worst_around(*current) if current in f1 else float('nan'):.2f})"
    )
    stamps = pd.DatetimeIndex(frame["timestamp"])
    for name, (k, m) in (("chosen", chosen), ("default", current)):
        cfg = config.with_(baseline_k=k, baseline_min_days=m)
        score = monitoring.nab_score(stamps, nab.default_detector(frame, cfg), windows)
        print(
            f"protocol step 3, NAB (not tuned on) with the {name} setting: {score['score']:.1f} "
            f"(tp {score['tp']}, fp {score['fp']})"
        )


if __name__ == "__main__":
    main()
