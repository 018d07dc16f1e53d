"""Memory of module 04's engine on long logs: prints figures, asserts nothing.

A synthetic Yún-format log of N one-minute lines (5 M and 50 M; written once into a temporary
folder, about 30 bytes a line) is run in a fresh process each time, and the process's peak
memory (ru_maxrss), wall time and CPU time are printed (CPU time per line is the figure
to compare across runs: wall time follows the machine's load), for:

- ``load_log`` + ``run`` (the whole log in memory, as lessons do with a year), and
- ``stream.run_file`` (chunks of lines; memory should not grow with the log).

Goal (issue "Module 04's engine on real logs"): the 50 M peak under 1 GB and within 1.5x of
the 5 M peak, with throughput per line no worse than the in-memory run.

Run with `.venv/bin/python benchmarks/bench_monitoring_memory.py [--sizes 5000000 50000000]`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

BLOCK = 1_000_000
CHILD = """
import json, resource, sys, time
started = time.perf_counter()
from servicecourse import monitoring
from servicecourse.monitoring import stream
path, how = sys.argv[1], sys.argv[2]
if how == "memory":
    result = monitoring.run(monitoring.load_log(path))
    events = len(result.events)
else:
    events = len(stream.run_file(path).events)
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": time.perf_counter() - started, "events": events,
                  "cpu_seconds": usage.ru_utime + usage.ru_stime,
                  "peak_mb": usage.ru_maxrss / 1024}))
"""


def write_log(path: Path, lines: int, seed: int = 4) -> None:
    """A server-room log: a daily cycle with noise, and a warm spell now and then."""
    rng = np.random.default_rng(seed)
    values = np.round(np.arange(150, 351) / 10, 1)
    texts = np.array([f"{v:.1f}" for v in values])
    start = pd.Timestamp("2016-01-01", tz="UTC")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("# SIMULATED benchmark log (servicecourse benchmarks)\n")
        for first in range(0, lines, BLOCK):
            n = min(BLOCK, lines - first)
            utc = pd.date_range(start + pd.Timedelta(minutes=first), periods=n, freq="1min")
            local = utc.tz_convert("Europe/Helsinki").tz_localize(None) + pd.Timedelta("5s")
            stamps = np.datetime_as_string(local.to_numpy(), unit="s")
            minute = np.arange(first, first + n)
            temp = 21.5 + 1.2 * np.sin(2 * np.pi * minute / 1440) + rng.normal(0, 0.2, n)
            temp += 4.0 * ((minute // 1440) % 97 == 50)
            index = np.clip(np.round((temp - 15.0) * 10).astype(int), 0, len(texts) - 1)
            rh = texts[np.clip(np.round((30 + rng.normal(0, 1, n) - 15) * 10).astype(int), 0, 200)]
            body = np.char.add(np.char.add(np.char.replace(stamps, "T", " "), "\t"), texts[index])
            body = np.char.add(np.char.add(body, "\t"), rh)
            handle.write("\n".join(body.tolist()))
            handle.write("\n")


def measure(path: Path, how: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), how], capture_output=True, text=True
    )
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5_000_000, 50_000_000])
    parser.add_argument("--in-memory-up-to", type=int, default=5_000_000)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="bench-yun-") as folder:
        for lines in args.sizes:
            path = Path(folder) / f"yun_{lines}.log"
            started = time.perf_counter()
            write_log(path, lines)
            size_mb = path.stat().st_size / 1e6
            took = time.perf_counter() - started
            print(f"{lines:,} lines, {size_mb:.0f} MB, written in {took:.0f} s")
            hows = ["stream"] + (["memory"] if lines <= args.in_memory_up_to else [])
            for how in hows:
                got = measure(path, how)
                if "error" in got:
                    print(f"  {how:7s} failed: {got['error']}")
                    continue
                per_line = got["seconds"] / lines * 1e6
                cpu_per_line = got["cpu_seconds"] / lines * 1e6
                print(
                    f"  {how:7s} {got['seconds']:6.1f} s ({per_line:.2f} µs/line; CPU "
                    f"{got['cpu_seconds']:.1f} s, {cpu_per_line:.2f} µs/line), peak "
                    f"{got['peak_mb']:6.0f} MB ({got['peak_mb'] / size_mb:.2f}x the file), "
                    f"{got['events']} events"
                )
            path.unlink()


if __name__ == "__main__":
    main()
