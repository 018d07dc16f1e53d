"""Command line of the course: `servicecourse COMMAND --help` explains each step."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .paths import CourseError, all_modules, course_dir, find_module


def _modules(args) -> list:
    if getattr(args, "all", False) or not args.modules:
        return all_modules()
    return [find_module(name) for name in args.modules]


def cmd_build(args) -> int:
    from . import book, grading

    released = grading.release(all_modules())
    print(f"student release: {len(released)} module(s) in {course_dir() / 'release'}")
    book.build(force=args.force)
    return 0


def cmd_release(args) -> int:
    from . import grading

    if not args.modules and not args.all:
        raise CourseError("name the modules to release (e.g. `release 01_intro`) or use --all")
    for path in grading.release(_modules(args), exchange=args.exchange):
        print(f"released {path}")
    return 0


def cmd_book(args) -> int:
    from . import book

    if args.instructor:
        book.build_instructor()
    else:
        book.build(force=args.force)
    return 0


def cmd_collect(args) -> int:
    from . import grading

    grading.collect(find_module(args.module))
    print(f"collected {args.module} into {course_dir() / 'submitted'}")
    return 0


def cmd_autograde(args) -> int:
    from . import grading

    module = find_module(args.module)
    students = args.student or None
    if args.submissions:
        imported = grading.import_submissions(Path(args.submissions), module)
        print(f"imported {len(imported)} submission(s) from {args.submissions}")
        students = students or imported
    report = grading.autograde(module, students=students)
    print(report.summary())
    return 1 if report.failed else 0


def cmd_feedback(args) -> int:
    from . import grading

    report = grading.feedback(find_module(args.module), students=args.student or None)
    print(report.summary())
    print(f"feedback in {course_dir() / 'feedback'}")
    return 1 if report.failed else 0


def cmd_export(args) -> int:
    from . import grading

    target = grading.export(Path(args.to))
    print(f"grades written to {target}")
    return 0


def cmd_learn(args) -> int:
    from . import learn

    workspace = Path(args.dir) if args.dir else learn.default_workspace()
    return learn.open_lab(workspace, port=args.port, open_browser=not args.no_browser)


def cmd_dashboards(args) -> int:
    from . import dashboards

    dashboards.serve(
        port=args.port,
        open_browser=args.open,
        thumbnails=not args.no_thumbnails,
        pool_size=args.pool_size,
    )
    return 0


def cmd_datasets(args) -> int:
    from .datasets import GENERATORS, RAW_GENERATORS
    from .paths import datasets_dir

    stale = []
    for name, generator in [*GENERATORS.items(), *RAW_GENERATORS.items()]:
        target = datasets_dir() / f"{name}{generator.suffix}"
        text = generator.text()
        if args.write:
            target.write_text(text, encoding="utf-8")
            print(f"wrote {target} (seed {generator.seed})")
        elif not target.exists() or target.read_text(encoding="utf-8") != text:
            stale.append(name)
    if stale:
        print("differ from their generators: " + ", ".join(stale) + " (run `datasets --write`)")
        return 1
    if not args.write:
        raw = f" (and {len(RAW_GENERATORS)} raw file(s))" if RAW_GENERATORS else ""
        print(f"{len(GENERATORS)} synthetic dataset(s) match their generators{raw}")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="servicecourse",
        description="Build, release, grade and serve the service management course.",
    )
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name, func, help_text):
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(func=func)
        return p

    p = add("build", cmd_build, "Student release of every module, then the public book (HTML).")
    p.add_argument("--force", action="store_true", help="rebuild every page of the book")

    p = add(
        "release",
        cmd_release,
        "Generate the student version of modules (no solutions, "
        "no hidden tests) into autograde/release/.",
    )
    p.add_argument("modules", nargs="*", help="module folder names or numbers, e.g. 01_intro or 1")
    p.add_argument("--all", action="store_true", help="release every module")
    p.add_argument(
        "--exchange",
        action="store_true",
        help="also publish to the nbgrader exchange, so learners can fetch it",
    )

    p = add("book", cmd_book, "Build the public book into _build/html/.")
    p.add_argument("--force", action="store_true", help="rebuild every page")
    p.add_argument(
        "--instructor",
        action="store_true",
        help="build the instructor edition (with solutions) into _build/instructor/ instead; "
        "never publish it",
    )

    p = add("collect", cmd_collect, "Collect submissions of a module from the exchange.")
    p.add_argument("module")

    p = add(
        "autograde",
        cmd_autograde,
        "Autograde the submissions of a module; a broken "
        "submission is reported and the others are still graded.",
    )
    p.add_argument("module")
    p.add_argument(
        "--submissions",
        metavar="DIR",
        help="copy DIR/<student_id>/<module>/*.ipynb into autograde/submitted/ first",
    )
    p.add_argument("--student", action="append", help="grade only this student (repeatable)")

    p = add("feedback", cmd_feedback, "Make HTML feedback (never showing hidden tests).")
    p.add_argument("module")
    p.add_argument("--student", action="append", help="only this student (repeatable)")

    p = add("export", cmd_export, "Export all grades as nbgrader's CSV.")
    p.add_argument("--to", default=str(course_dir() / "grades.csv"), help="CSV file to write")

    p = add(
        "learn",
        cmd_learn,
        "Copy the student release into a workspace (never overwriting "
        "your answers) and open JupyterLab there, with nbgrader's Validate button.",
    )
    p.add_argument("--dir", help="workspace folder (default: work/ in the project)")
    p.add_argument("--port", type=int, default=8888)
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")

    p = add(
        "dashboards",
        cmd_dashboards,
        "Serve every dashboard of the course with Voila on "
        "127.0.0.1, behind a landing page that lists them.",
    )
    p.add_argument("--port", type=int, default=8866)
    p.add_argument("--open", action="store_true", help="open the landing page in a browser")
    p.add_argument(
        "--pool-size",
        type=int,
        default=1,
        help="preheated kernels waiting per dashboard (0 turns preheating off)",
    )
    p.add_argument(
        "--no-thumbnails",
        action="store_true",
        help="do not screenshot dashboards for the gallery landing page",
    )

    p = add(
        "datasets",
        cmd_datasets,
        "Check (default) or rewrite the synthetic datasets from their seeded generators.",
    )
    p.add_argument("--write", action="store_true", help="regenerate the files")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except CourseError as err:
        print(f"servicecourse {args.command}: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
