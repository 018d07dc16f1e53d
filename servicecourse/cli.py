"""Command line of the course: `servicecourse COMMAND --help` explains each step."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from .paths import DEFAULTS, CourseError, all_modules, find_module, layout


def _modules(args) -> list:
    if getattr(args, "all", False) or not args.modules:
        return all_modules()
    return [find_module(name) for name in args.modules]


def cmd_build(args) -> int:
    from . import grading
    from .build import book

    released = grading.release(all_modules())
    print(f"student release: {len(released)} module(s) in {layout().grading.release}")
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
    from .build import book

    if args.instructor:
        book.build_instructor()
    else:
        book.build(force=args.force)
    return 0


def cmd_solutions(args) -> int:
    from .grading import solutions

    modules = [find_module(name) for name in args.modules]
    for module in modules:
        written = solutions.make_solutions(module)
        print(f"{len(written)} solution notebook(s) in {solutions.solutions_folder(module)}")
        if args.publish:
            name = solutions.publish_solutions(module)
            print(f"published to the exchange: learners fetch `{name}`")
    if args.book:
        from .build import book

        book.build_class_edition(modules)
    return 0


def cmd_collect(args) -> int:
    from . import grading

    grading.collect(find_module(args.module))
    print(f"collected {args.module} into {layout().grading.submitted}")
    return 0


def cmd_autograde(args) -> int:
    from . import grading
    from .grading import reports

    if not args.modules and not args.all:
        raise CourseError("name the module to grade (e.g. `autograde 03_basics`) or use --all")
    modules = _modules(args)
    receipts = {}
    if args.exchange:
        for module in modules:
            receipts[module.name] = grading.collect(module)
            print(f"collected {module.name} from the exchange")
    result = grading.grade_a_class(
        modules,
        layout().grading.root,
        submissions=Path(args.submissions) if args.submissions else None,
        moodle_zip=Path(args.moodle_zip) if args.moodle_zip else None,
        moodle_worksheet=Path(args.moodle_worksheet) if args.moodle_worksheet else None,
        gradebook_url=args.db,
        report_dir=Path(args.report) if args.report else None,
        students=args.student or None,
        notebook=args.notebook,
        workers=args.workers,
        limits=replace(
            DEFAULTS.grading,
            cell_seconds=args.cell_timeout,
            notebook_seconds=args.notebook_timeout,
            memory_mb=args.memory_mb,
        ),
        use_sandbox=not args.no_sandbox,
        force=args.force,
        progress=not args.no_progress,
    )
    print(reports.summary_table(result.run))
    for module, sheet in result.moodle_sheets.items():
        print(f"Moodle grading worksheet: {sheet}")
        if result.not_in_moodle[module]:
            left_out = ", ".join(result.not_in_moodle[module])
            print(f"  not in it (not in the Moodle worksheet or not from Moodle): {left_out}")
        for note in result.moodle_notes.get(module, []):
            print(f"  note: {note}")
    for (module, student), reason in sorted(result.feedback_failed.items()):
        print(f"NO feedback for {student} ({module}): {reason}")
    if args.exchange:
        from .grading.course import release_feedback

        for module in modules:
            failed = result.feedback_failed
            given = {
                o.student: receipts[module.name][o.student]
                for o in result.run.graded
                if o.module == module.name
                and (module.name, o.student) not in failed
                and o.student in receipts[module.name]
            }
            release_feedback(module, given)
            print(f"feedback on {module.name} released to the exchange for {len(given)} learner(s)")
    print(f"feedback in {result.feedback_dir}; nbgrader CSV {result.grades_csv}")
    print(f"class summary: {result.summary_page}")
    return 1 if result.run.not_graded or result.feedback_failed else 0


def cmd_feedback(args) -> int:
    from . import grading

    report = grading.feedback(find_module(args.module), students=args.student or None)
    print(report.summary())
    print(f"feedback in {layout().grading.feedback}")
    return 1 if report.failed else 0


def cmd_export(args) -> int:
    from . import grading
    from .grading import reports

    target = reports.make_csv_safe(grading.export(Path(args.to)))
    print(f"grades written to {target}")
    return 0


def cmd_learn(args) -> int:
    from .classroom import learn

    workspace = Path(args.dir) if args.dir else learn.default_workspace()
    return learn.open_lab(workspace, port=args.port, open_browser=not args.no_browser)


def cmd_dashboards(args) -> int:
    from .classroom import server

    if args.thumbnails:
        server.remake_thumbnails()
        return 0
    server.serve(
        port=args.port,
        open_browser=args.open,
        thumbnails=not args.no_thumbnails,
        pool_size=args.pool_size,
        preheat=args.preheat or (),
    )
    return 0


def cmd_hub(args) -> int:
    from .hub import service
    from .hub.config import HubSettings

    defaults = HubSettings()
    settings = defaults.but(
        ip=args.ip,
        port=args.port,
        ssl_cert=args.ssl_cert or "",
        ssl_key=args.ssl_key or "",
        state_dir=Path(args.state_dir),
        exchange=Path(args.exchange),
        course=Path(args.course) if args.course else defaults.course,
        learners_group=args.learners_group,
        instructors_group=args.instructors_group,
        memory=args.memory,
        cpus=args.cpus,
        limits=not args.no_limits,
        idle_timeout=args.idle_timeout,
        student_folder=args.student_folder or defaults.student_folder,
        lti_issuer=args.lti_issuer or "",
        lti_client_id=args.lti_client_id or "",
        lti_deployment_ids=tuple(args.lti_deployment_id or ()),
        lti_authorize_url=args.lti_authorize_url or "",
        lti_keyset_url=args.lti_keyset_url or "",
    )
    if args.check:
        service.prepare(settings)
        print("the hub's folders, exchange and permissions are ready; learners can run Python")
        return 0
    return service.run(settings)


def cmd_datasets(args) -> int:
    from . import datasets

    if args.write:
        for target, seed in datasets.write_all():
            print(f"wrote {target} (seed {seed})")
        return 0
    stale = datasets.stale()
    if stale:
        print("differ from their generators: " + ", ".join(stale) + " (run `datasets --write`)")
        return 1
    raw = datasets.RAW_GENERATORS
    extra = f" (and {len(raw)} raw file(s))" if raw else ""
    print(f"{len(datasets.GENERATORS)} synthetic dataset(s) match their generators{extra}")
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

    p = add(
        "solutions",
        cmd_solutions,
        "After the deadline: make learner-facing solution notebooks of modules (solutions in, "
        "hidden tests out) into autograde/release/MODULE_solutions/.",
    )
    p.add_argument("modules", nargs="+", help="module folder names, e.g. 03_basics")
    p.add_argument(
        "--publish",
        action="store_true",
        help="release them to the nbgrader exchange as MODULE_solutions, for learners to fetch",
    )
    p.add_argument(
        "--book",
        action="store_true",
        help="build the class edition of the book (these modules with solutions) into "
        "_build/class/; never publish it",
    )

    # The book's launch buttons (Binder, JupyterHub) open notebooks from this branch.
    def cmd_branch(args) -> int:
        from .build import student

        student.student_branch(repo=Path(args.repo) if args.repo else None, branch=args.name)
        return 0

    p = add(
        "branch",
        cmd_branch,
        "Release every module, then commit the student notebooks (no solutions, no hidden "
        "tests) and what Binder needs to run them to the git branch the book's launch "
        "buttons open, without touching your work tree.",
    )
    p.add_argument("--name", help="branch name (default: repository.branch in _config.yml)")
    p.add_argument("--repo", help="git repository to write it to (default: this project)")

    p = add("collect", cmd_collect, "Collect submissions of a module from the exchange.")
    p.add_argument("module")

    p = add(
        "autograde",
        cmd_autograde,
        "Grade a class: every submission of the named modules, in parallel, sandboxed and "
        "resumable; then feedback, nbgrader and Moodle grade files and a class summary. A "
        "broken or hostile submission is reported and the others are still graded.",
    )
    p.add_argument("modules", nargs="*", metavar="module")
    p.add_argument("--all", action="store_true", help="grade every module")
    p.add_argument(
        "--submissions",
        metavar="DIR",
        help="copy DIR/<student_id>/<module>/*.ipynb into autograde/submitted/ first",
    )
    p.add_argument(
        "--moodle-zip",
        metavar="ZIP",
        help="unpack Moodle's 'Download all submissions' zip into autograde/submitted/ first",
    )
    p.add_argument(
        "--moodle-worksheet",
        metavar="CSV",
        help="the grading worksheet downloaded from the Moodle assignment in your language: "
        "it is filled with the grades (default: write an English one)",
    )
    p.add_argument(
        "--exchange",
        action="store_true",
        help="collect the submissions from nbgrader's exchange first (the course hub's), and "
        "release each learner's feedback to it afterwards, for them to fetch",
    )
    p.add_argument("--student", action="append", help="(re)grade only this student (repeatable)")
    p.add_argument("--notebook", help="(re)grade only this notebook of the module")
    p.add_argument(
        "--workers",
        type=int,
        help="parallel workers (default: one per CPU, fewer if memory is short)",
    )
    limits = DEFAULTS.grading
    p.add_argument(
        "--cell-timeout", type=int, default=limits.cell_seconds, help="seconds one cell may run"
    )
    p.add_argument(
        "--notebook-timeout",
        type=int,
        default=limits.notebook_seconds,
        help="seconds one notebook may run",
    )
    p.add_argument(
        "--memory-mb",
        type=int,
        default=limits.memory_mb,
        help="memory (address space) one notebook may use",
    )
    p.add_argument(
        "--db",
        metavar="URL",
        help="gradebook URL (default: the course config's: $SERVICECOURSE_GRADEBOOK_URL or "
        "autograde/gradebook.db)",
    )
    p.add_argument("--force", action="store_true", help="regrade learners already graded")
    p.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run learners' code without the bubblewrap sandbox (trusted code only)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--report", metavar="DIR", help="where reports go (default: autograde/reports)")

    p = add("feedback", cmd_feedback, "Make HTML feedback (never showing hidden tests).")
    p.add_argument("module")
    p.add_argument("--student", action="append", help="only this student (repeatable)")

    p = add("export", cmd_export, "Export all grades as nbgrader's CSV.")
    p.add_argument("--to", default=str(layout().grading.grades_csv), help="CSV file to write")

    p = add(
        "learn",
        cmd_learn,
        "Copy the student release into a workspace (never overwriting "
        "your answers) and open JupyterLab there, with nbgrader's Validate button.",
    )
    p.add_argument("--dir", help="workspace folder (default: work/ in the project)")
    p.add_argument("--port", type=int, default=DEFAULTS.lab_port)
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")

    p = add(
        "dashboards",
        cmd_dashboards,
        "Serve every dashboard of the course with Voila on "
        "127.0.0.1, behind a landing page that lists them.",
    )
    p.add_argument("--port", type=int, default=DEFAULTS.dashboards_port)
    p.add_argument("--open", action="store_true", help="open the landing page in a browser")
    p.add_argument(
        "--pool-size",
        type=int,
        default=DEFAULTS.dashboards_pool_size,
        help="preheated kernels waiting per dashboard (0 turns preheating off; about 130 MB "
        f"each; default {DEFAULTS.dashboards_pool_size})",
    )
    p.add_argument(
        "--preheat",
        action="append",
        metavar="NAME=N",
        help="N kernels ready for one dashboard, e.g. for a class of 20 opening it at once: "
        "--preheat event_rules_lab=20 (repeatable)",
    )
    thumbs = p.add_mutually_exclusive_group()
    thumbs.add_argument(
        "--no-thumbnails",
        action="store_true",
        help="do not screenshot dashboards for the gallery landing page",
    )
    thumbs.add_argument(
        "--thumbnails",
        action="store_true",
        help="remake every thumbnail of the landing page (with headless Chromium), then exit",
    )

    from .hub.config import HubSettings

    hub = HubSettings.__dataclass_fields__
    p = add(
        "hub",
        cmd_hub,
        "Run the course hub on this server: JupyterHub, one system user per learner (members "
        "of the learners' group), nbgitpuller for the book's launch links, nbgrader's exchange, "
        "the formgrader for instructors only, the idle culler, memory and CPU limits per "
        "learner. Runs as root until SIGTERM or Ctrl-C, which stop every process it started.",
    )
    p.add_argument("--ip", default=hub["ip"].default, help="address to listen on")
    p.add_argument("--port", type=int, default=hub["port"].default)
    p.add_argument("--ssl-cert", help="TLS certificate (else put a TLS reverse proxy in front)")
    p.add_argument("--ssl-key", help="its private key")
    p.add_argument(
        "--state-dir",
        default=str(hub["state_dir"].default),
        help="the hub's database, cookie secret and proxy token (outside the project)",
    )
    p.add_argument(
        "--exchange", default=str(hub["exchange"].default), help="nbgrader's exchange folder"
    )
    p.add_argument("--course", help="the nbgrader course folder (default: autograde/)")
    p.add_argument("--learners-group", default=hub["learners_group"].default)
    p.add_argument(
        "--instructors-group",
        default=hub["instructors_group"].default,
        help="its members get the formgrader and the course's files",
    )
    p.add_argument(
        "--memory", default=hub["memory"].default, help="memory per learner, e.g. 2G or 1500M"
    )
    p.add_argument("--cpus", type=float, default=hub["cpus"].default, help="CPUs per learner")
    p.add_argument(
        "--no-limits",
        action="store_true",
        help="run without memory and CPU limits (else the hub refuses to start without them)",
    )
    p.add_argument(
        "--idle-timeout",
        type=int,
        default=hub["idle_timeout"].default,
        help="seconds of inactivity after which the culler stops a learner's server",
    )
    p.add_argument(
        "--student-folder",
        help="folder nbgitpuller pulls the student branch into (default: the name of the "
        "book's repository.url)",
    )
    lti = p.add_argument_group(
        "LTI 1.3 from Moodle",
        "the tool's 'View configuration details' in Moodle (book/hub.md); without them the hub "
        "has the local login only",
    )
    lti.add_argument("--lti-issuer", help="Platform ID, e.g. https://moodle.example.fi")
    lti.add_argument("--lti-client-id", help="Client ID")
    lti.add_argument(
        "--lti-deployment-id", action="append", help="Deployment ID (repeat for several)"
    )
    lti.add_argument(
        "--lti-authorize-url", help="Authentication request URL (default: ISSUER/mod/lti/auth.php)"
    )
    lti.add_argument(
        "--lti-keyset-url", help="Public keyset URL (default: ISSUER/mod/lti/certs.php)"
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="prepare folders, exchange and permissions and check them, then exit",
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
