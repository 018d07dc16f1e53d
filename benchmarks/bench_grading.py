"""Grade one class in one run: plain `nbgrader autograde` and the course's pipeline, or (with
--isolation) the pipeline with its tests in the learner's kernel against the same pipeline with
the tests in a kernel of their own, alternating, to measure what the isolation costs.

Prints seconds per notebook, the ratio and the machine's load. The class is
synthetic, built here from the module's student release: 60 % complete answers, 20 % blank,
20 % with one wrong answer. Both runs must give every learner the same score.

    .venv/bin/python benchmarks/bench_grading.py [--module 01_intro] [--students 40]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from servicecourse import grading
from servicecourse.grading import pipeline
from servicecourse.paths import find_module, repo_root


def make_course(where: Path) -> Path:
    where.mkdir(parents=True)
    shutil.copy(repo_root() / "autograde" / "nbgrader_config.py", where / "nbgrader_config.py")
    (where / "source").symlink_to(repo_root() / "modules")
    return where


def answered(release: Path, source: Path):
    def gid(cell):
        return cell.metadata.get("nbgrader", {}).get("grade_id")

    solutions = {gid(c): c.source for c in nbformat.read(source, 4).cells}
    nb = nbformat.read(release, 4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution") and cell.cell_type == "code":
            cell.source = solutions[gid(cell)]
    return nb


def build_class(course: Path, module, students: int, seed: int = 4) -> None:
    rng = random.Random(seed)
    release = course / "release" / module.name
    for i in range(students):
        kind = rng.choices(["full", "blank", "one_wrong"], weights=[6, 2, 2])[0]
        folder = course / "submitted" / f"learner{i:03d}" / module.name
        folder.mkdir(parents=True)
        for lesson in module.lessons:
            if kind == "blank":
                nb = nbformat.read(release / lesson.name, 4)
            else:
                nb = answered(release / lesson.name, lesson)
                if kind == "one_wrong":
                    answers = [
                        c
                        for c in nb.cells
                        if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")
                    ]
                    rng.choice(answers).source = "pass  # not answered"
            nbformat.write(nb, folder / lesson.name)


def scores(course: Path, module) -> dict[str, float]:
    api = grading.course_api(course)
    with api.gradebook as gb:
        return {
            s.student.id: round(s.score, 3) for s in gb.find_assignment(module.name).submissions
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", default="01_intro")
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument(
        "--isolation",
        type=int,
        metavar="ROUNDS",
        help="instead: ROUNDS alternating runs with and without isolated tests (goal <= 1.5x)",
    )
    args = parser.parse_args()
    if args.isolation:
        return isolation_cost(find_module(args.module), args.students, args.workers, args.isolation)
    module = find_module(args.module)
    notebooks = args.students * len(module.lessons)
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        plain, ours = make_course(Path(tmp) / "plain"), make_course(Path(tmp) / "ours")
        for course in (plain, ours):
            grading.release([module], course)
            build_class(course, module, args.students)
        print(
            f"class: {args.students} learners x {len(module.lessons)} notebook(s) of "
            f"{module.name} = {notebooks} notebooks; {os.cpu_count()} CPUs; "
            f"load before {os.getloadavg()[0]:.2f}"
        )

        started = time.perf_counter()
        result = subprocess.run(
            [str(bin_dir / "nbgrader"), "autograde", module.name],
            cwd=plain,
            env=env,
            capture_output=True,
            text=True,
        )
        plain_seconds = time.perf_counter() - started
        if result.returncode != 0:
            print(result.stderr[-2000:])
            raise SystemExit("plain nbgrader autograde failed")
        print(
            f"plain nbgrader autograde:      {plain_seconds:7.1f} s  "
            f"{plain_seconds / notebooks:5.2f} s/notebook  (load {os.getloadavg()[0]:.2f})"
        )

        started = time.perf_counter()
        run = pipeline.grade_class([module], ours, workers=args.workers, progress=False)
        ours_seconds = time.perf_counter() - started
        print(
            f"pipeline ({run.workers} workers, sandboxed): {ours_seconds:7.1f} s  "
            f"{ours_seconds / notebooks:5.2f} s/notebook  (load {os.getloadavg()[0]:.2f})"
        )
        print(f"speed-up: {plain_seconds / ours_seconds:.2f}x (goal >= 2x)")
        same = scores(plain, module) == scores(ours, module)
        print(f"same score for every learner: {same}")
        if run.not_graded or not same:
            raise SystemExit("the two runs disagree")


def isolation_cost(module, students: int, workers: int | None, rounds: int) -> None:
    notebooks = students * len(module.lessons)
    times: dict[bool, list[float]] = {False: [], True: []}
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-isolation-") as tmp:
        for i in range(rounds):
            for isolate in (False, True):
                course = make_course(Path(tmp) / f"r{i}-{isolate}")
                grading.release([module], course)
                build_class(course, module, students)
                started = time.perf_counter()
                run = pipeline.grade_class(
                    [module], course, workers=workers, progress=False, isolate_tests=isolate
                )
                seconds = time.perf_counter() - started
                times[isolate].append(seconds)
                results[isolate] = scores(course, module)
                label = "tests in their own kernel" if isolate else "tests in learner kernel"
                print(
                    f"round {i + 1} {label:26s} {seconds:7.1f} s  "
                    f"{seconds / notebooks:5.2f} s/notebook  (load {os.getloadavg()[0]:.2f})"
                )
                if run.not_graded:
                    raise SystemExit(f"not graded: {run.not_graded}")
    base, isolated = min(times[False]), min(times[True])
    print(f"best of {rounds}: {base / notebooks:.2f} vs {isolated / notebooks:.2f} s/notebook")
    print(f"isolation costs {isolated / base:.2f}x (goal <= 1.5x)")
    print(f"same score for every learner: {results[False] == results[True]}")


if __name__ == "__main__":
    main()
