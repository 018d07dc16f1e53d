"""The classroom dashboards: each one runs, the numbers it shows are right, and Voila serves them.

Every test that takes a dashboard is parametrised over `find_dashboards()`, so a dashboard added
to any module is covered without editing this file.
"""

from __future__ import annotations

import csv
import html
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import defaultdict

import nbformat
import pytest
from kit import axe
from nbclient import NotebookClient

from servicecourse import datasets, desk_contacts
from servicecourse.build import plotlyjs
from servicecourse.classroom import dashboards, server, staging, thumbnails, widget_code
from servicecourse.paths import DEFAULTS, CourseError, layout

DASHBOARDS = dashboards.find_dashboards()
IDS = [d.staged_name.removesuffix(".ipynb") for d in DASHBOARDS]
each_dashboard = pytest.mark.parametrize("dashboard", DASHBOARDS, ids=IDS)

# Voila starts a kernel for every page view (4-7 s, more on a busy machine).
RENDER_TIMEOUT_MS = 60_000


def _run_async(coroutine):
    """asyncio.run in a thread of its own: playwright's sync API (the session's browser) keeps
    an event loop marked as running in the main thread."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_the_course_has_dashboards():
    assert any(d.staged_name == "01_intro__desk_contacts_explorer.ipynb" for d in DASHBOARDS)


# --- the notebooks --------------------------------------------------------------------------


@each_dashboard
def test_committed_without_outputs_or_grading_metadata(dashboard):
    nb = nbformat.read(dashboard.path, as_version=4)
    for cell in nb.cells:
        assert "nbgrader" not in cell.metadata, "dashboards are not graded"
        if cell.cell_type == "code":
            assert cell.outputs == [], "clear the outputs before committing"
            assert cell.execution_count is None, "clear the outputs before committing"


@each_dashboard
def test_has_a_title_and_a_purpose_for_the_landing_page(dashboard):
    nb = nbformat.read(dashboard.path, as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "markdown")
    assert first.source.startswith("# "), "a dashboard opens with its title as a heading"
    assert dashboard.title == first.source.splitlines()[0][2:].strip()
    assert len(dashboard.purpose) > 40, "the paragraph after the title says what it is for"


@each_dashboard
def test_executes_without_error(dashboard):
    nb = nbformat.read(dashboard.path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(dashboard.path.parent)}},
    )
    client.execute()  # raises CellExecutionError with the failing cell
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    # The classroom denies jupyterlab-plotly (4.8 MB for every page): figures are widgets.
    static = [o for o in outputs if "application/vnd.plotly.v1+json" in o.get("data", {})]
    assert not static, "draw figures with go.FigureWidget: the classroom shows no static plotly"
    # ... whose code the classroom serves with plotly.js's cartesian traces only.
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    used = {
        trace.get("type", "scatter")
        for model in state.get("state", {}).values()
        for trace in model["state"].get("_widget_data", [])
    }
    served = widget_code.served_trace_types()
    assert used <= served, f"the classroom's plotly.js lacks the trace types {used - served}"
    # Every control has a name a screen reader can announce (the axe check below sees the same
    # in the browser; this says which widget, before any server starts).
    unnamed = axe.unnamed_controls(state)
    assert not unnamed, "\n".join(unnamed)


# --- the numbers the contacts dashboard shows -----------------------------------------------


@pytest.fixture(scope="module")
def contacts():
    return datasets.load("kallavesi_desk_contacts")


@pytest.fixture(scope="module")
def raw_totals():
    """Totals by (year, channel) read with the csv module: an independent path to the truth."""
    totals = defaultdict(int)
    with open(datasets.path("kallavesi_desk_contacts"), newline="") as f:
        for row in csv.DictReader(f):
            totals[int(row["month"][:4]), row["channel"]] += int(row["contacts"])
    return totals


def test_selection_is_a_month_by_channel_table(contacts):
    table = desk_contacts.select_contacts(contacts, ["chat", "phone"], [2016, 2017])
    assert list(table.columns) == ["phone", "chat"], "course order, whatever the widget order"
    assert len(table) == 24
    assert table.index.is_monotonic_increasing
    assert str(table.index[0].date()) == "2016-01-01"
    assert table.loc["2016-01-01", "phone"] == 2538  # first data row of the CSV
    assert (table.loc["2016", "chat"] == 0).all(), "chat opened in January 2017"
    assert (table.loc["2017", "chat"] > 0).all()


def test_selection_filters_years(contacts, raw_totals):
    table = desk_contacts.select_contacts(contacts, desk_contacts.CHANNELS, [2017])
    assert len(table) == 12
    assert set(table.index.year) == {2017}
    for channel in desk_contacts.CHANNELS:
        assert table[channel].sum() == raw_totals[2017, channel]


def test_summary_totals_and_shares(contacts, raw_totals):
    table = desk_contacts.select_contacts(contacts, ["phone", "chat"], [2017])
    summary = desk_contacts.summarise(table)
    phone, chat = raw_totals[2017, "phone"], raw_totals[2017, "chat"]
    assert summary.by_channel == {"phone": phone, "chat": chat}
    assert summary.total == phone + chat == 27_687
    assert summary.months == 12
    assert summary.share("chat") == pytest.approx(chat / (phone + chat))
    assert summary.share("chat") == pytest.approx(0.2142, abs=1e-4)
    assert sum(summary.share(c) for c in summary.by_channel) == pytest.approx(1.0)


def test_summary_of_everything_matches_the_dataset(contacts):
    summary = desk_contacts.summarise(
        desk_contacts.select_contacts(contacts, desk_contacts.CHANNELS, [2016, 2017])
    )
    assert summary.total == contacts["contacts"].sum() == 111_384
    assert max(summary.by_channel, key=summary.by_channel.get) == "phone"
    html = desk_contacts.summary_html(summary)
    assert "111,384 contacts" in html and "24 months" in html
    assert "42.3%" in html  # phone: 47,107 of 111,384


def test_chat_share_is_zero_in_2016_not_an_error(contacts):
    summary = desk_contacts.summarise(desk_contacts.select_contacts(contacts, ["chat"], [2016]))
    assert summary.total == 0
    assert summary.share("chat") == 0.0
    assert "0.0%" in desk_contacts.summary_html(summary)


def test_no_channel_selected(contacts):
    table = desk_contacts.select_contacts(contacts, [], [2016, 2017])
    summary = desk_contacts.summarise(table)
    assert table.empty and summary.total == 0
    assert "No channel selected" in desk_contacts.summary_html(summary)


def test_period_label():
    assert desk_contacts.period_label((2016,)) == "2016"
    assert desk_contacts.period_label((2017, 2016)) == "2016–2017"


# --- finding and staging ----------------------------------------------------------------------


def _notebook(path, *markdown):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(m) for m in markdown])
    nbformat.write(nb, path)
    return path


def test_title_and_purpose_come_from_the_first_heading_and_paragraph(tmp_path):
    path = _notebook(
        tmp_path / "x.ipynb",
        "Some preamble\n\n## The **real** title\n",
        "Shows [the desk](https://example.org) per\nmonth.\n\nSecond paragraph.",
    )
    assert dashboards.describe(path) == ("The real title", "Shows the desk per month.")


def test_a_notebook_without_heading_is_named_after_its_file(tmp_path):
    path = _notebook(tmp_path / "sla_overview.ipynb", "Just text.")
    assert dashboards.describe(path) == ("Sla overview", "")


def test_stage_copies_every_dashboard_and_removes_stale_ones(tmp_path):
    stale = _notebook(tmp_path / "01_intro__renamed_long_ago.ipynb", "# Old")
    staged = staging.stage(tmp_path)
    assert [p.name for p in staged] == [d.staged_name for d in DASHBOARDS]
    assert not stale.exists()
    for dashboard, copy in zip(DASHBOARDS, staged, strict=True):
        assert copy.read_bytes() == dashboard.path.read_bytes()
    tree = (staging.template_folder(tmp_path) / "tree.html").read_text()
    for dashboard in DASHBOARDS:
        assert dashboard.url_path in tree
    assert staging.stage(tmp_path) == staged, "staging twice gives the same folder"


def test_the_gallery_shows_the_thumbnails_there_are(tmp_path):
    staging.stage(tmp_path)
    tree = staging.write_landing_page(tmp_path).read_text()
    assert "<img" not in tree and tree.count('<span class="thumb">') == len(DASHBOARDS)
    first = DASHBOARDS[0]
    thumb = thumbnails.thumbnail_path(tmp_path, first)
    thumb.parent.mkdir()
    thumb.write_bytes(b"\x89PNG\r\n\x1a\n")
    stale = thumb.parent / "99_gone__removed.png"
    stale.write_bytes(b"\x89PNG\r\n\x1a\n")
    staging.stage(tmp_path)
    tree = staging.write_landing_page(tmp_path).read_text()
    assert f"voila/files/thumbnails/{thumb.name}?v=" in tree
    assert tree.count("<img") == 1
    assert first.module in tree and html.escape(first.purpose[:30]) in tree
    assert not stale.exists(), "a thumbnail of a removed dashboard goes with it"


def test_voila_listens_on_loopback_only_without_nbgrader():
    command = server.voila_command(layout().build_dir, 8123, False)
    assert "--Voila.ip=127.0.0.1" in command
    assert "--Voila.port=8123" in command and "--Voila.port_retries=0" in command
    assert "--VoilaConfiguration.extension_denylist=@jupyter/nbgrader" in command
    assert command[0].endswith("voila") and os.path.dirname(command[0]) == os.path.dirname(
        sys.executable
    )


def test_classroom_voila_preheats_culls_and_caps_its_kernels():
    import importlib

    from servicecourse.classroom.pool import CappedKernelManager

    command = server.voila_command(
        layout().build_dir,
        8123,
        False,
        pool_sizes={"01_intro__desk_contacts_explorer.ipynb": 25},
    )
    assert "--VoilaConfiguration.preheat_kernel=True" in command
    assert "--CappedKernelManager.pool_sizes=01_intro__desk_contacts_explorer.ipynb=25" in command
    assert "--VoilaConfiguration.extension_denylist=jupyterlab-plotly" in command
    assert f"--VoilaConfiguration.default_pool_size={DEFAULTS.dashboards_pool_size}" in command
    assert DEFAULTS.dashboards_pool_size >= 1
    assert f"--MappingKernelManager.cull_idle_timeout={server.CULL_IDLE_TIMEOUT}" in command
    assert "--MappingKernelManager.cull_connected=False" in command, "open tabs keep kernels"
    assert f"--VoilaConfiguration.multi_kernel_manager_class={server.KERNEL_MANAGER}" in command
    module, _, name = server.KERNEL_MANAGER.rpartition(".")
    assert getattr(importlib.import_module(module), name) is CappedKernelManager, "it exists"
    assert f"--CappedKernelManager.max_kernels={server.MAX_KERNELS}" in command
    plain = server.voila_command(layout().build_dir, 8123, False, classroom=False)
    assert not any("preheat" in arg or "KernelManager" in arg for arg in plain)
    assert not any("jupyterlab-plotly" in arg for arg in plain), "plain Voila, for the benchmark"


def test_preheat_names_a_dashboard_by_its_notebook():
    sizes = dashboards.preheat_sizes(
        ["desk_contacts_explorer=25", "07_wellbeing__team_wellbeing.ipynb=3"], DASHBOARDS
    )
    assert sizes == {
        "01_intro__desk_contacts_explorer.ipynb": 25,
        "07_wellbeing__team_wellbeing.ipynb": 3,
    }
    for wrong in ("no_such_dashboard=3", "desk_contacts_explorer", "desk_contacts_explorer=x"):
        with pytest.raises(CourseError, match="NAME=KERNELS.*desk_contacts_explorer"):
            dashboards.preheat_sizes([wrong], DASHBOARDS)


def test_the_classroom_serves_plotlys_widget_code_as_a_preloaded_static_file(tmp_path):
    from servicecourse.classroom import kernel as voila_kernel

    staging.stage(tmp_path / "classroom")
    folder = staging.template_folder(tmp_path / "classroom")
    static = folder / "static" / voila_kernel.PLOTLY_WIDGET
    assert static.read_text() == widget_code.plotly_widget_code()
    index = (folder / "index.html.j2").read_text()
    url = voila_kernel.plotly_widget_url("")
    assert f'<script type="module" async src="{{{{ resources.base_url }}}}{url}">' in index
    spec = json.loads(
        (
            staging.template_root(tmp_path / "classroom") / "kernels" / "python3" / "kernel.json"
        ).read_text()
    )
    assert spec["argv"][0] == sys.executable
    assert f"--IPKernelApp.extensions={voila_kernel.__name__}" in spec["argv"]
    # Plain Voila (the benchmark's baseline) gets none of it.
    staging.stage(tmp_path / "plain", classroom=False)
    assert not (staging.template_root(tmp_path / "plain") / "kernels").exists()
    plain_index = staging.template_folder(tmp_path / "plain") / "index.html.j2"
    assert voila_kernel.PLOTLY_WIDGET not in plain_index.read_text()


def test_the_widget_code_has_the_cartesian_plotly_js_in_place_of_the_full_one(tmp_path):
    full = plotlyjs.widget_bundle().read_text()
    cartesian = widget_code.cartesian_bundle()
    if not cartesian.exists():
        pytest.fail(f"{cartesian} is missing: run `npm ci` (make deps)")
    code = widget_code.plotly_widget_code()
    assert len(code) < len(full) / 2
    assert cartesian.read_text() in code
    assert code.endswith(full[-2000:]), "the widget itself is unchanged"
    types = plotlyjs.trace_types_in_code(code)
    assert {"scatter", "bar", "heatmap", "histogram", "box"} <= types
    assert "scattergeo" not in types
    # Without the partial bundle, or with another plotly.js version, the full code.
    assert widget_code.plotly_widget_code(tmp_path / "missing.js") == full
    other = tmp_path / "other.js"
    other.write_text(cartesian.read_text().replace('.version="', '.version="0.', 1))
    assert widget_code.plotly_widget_code(other) == full


def test_voila_kernels_import_plotlys_widget_code_from_the_static_file():
    """In a kernel of the classroom (the extension loaded, VOILA_BASE_URL set by Voila), a
    FigureWidget's code is a two-line module importing the static file, not 5 MB."""
    code = (
        "from servicecourse.classroom import kernel as voila_kernel\n"
        "voila_kernel.load_ipython_extension(None)\n"
        "import plotly.graph_objects as go\n"
        "print(go.FigureWidget()._esm)\n"
    )
    env = dict(os.environ, VOILA_BASE_URL="/course/")
    shown = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert len(shown) < 500
    assert "await import(new URL(" in shown and "export default widget.default" in shown
    assert '"/course/voila/templates/servicecourse/static/plotly-widget.js?v=' in shown


class _FakeKernel:
    def __init__(self, state):
        self.execution_state = state


def _capped_manager(monkeypatch, kernels, max_kernels=2):
    from servicecourse.classroom.pool import CappedKernelManager

    manager = CappedKernelManager(max_kernels=max_kernels, reclaim_after=60)
    manager._kernels.update(kernels)
    manager._kernel_connections.update({kid: 0 for kid in kernels})
    shut = []

    async def shutdown_kernel(kid, *args, **kwargs):
        shut.append(kid)
        manager._kernels.pop(kid)

    async def start(self, *args, **kwargs):
        return "new"

    monkeypatch.setattr(manager, "shutdown_kernel", shutdown_kernel)
    monkeypatch.setattr(CappedKernelManager.__mro__[1], "start_kernel", start)
    return manager, shut


def test_the_kernel_cap_refuses_a_page_with_a_readable_message(monkeypatch):

    from tornado import web

    kernels = {"a": _FakeKernel("busy"), "b": _FakeKernel("idle")}
    manager, shut = _capped_manager(monkeypatch, kernels)
    manager._kernel_connections["b"] = 1  # a learner's open tab
    with pytest.raises(web.HTTPError) as refused:
        _run_async(manager.start_kernel(kernel_name="python3"))
    assert refused.value.status_code == 503 and not shut
    assert refused.value.reason == "The classroom server is full"
    assert "Close the dashboard tabs" in refused.value.log_message
    # The preheated pool is not counted against the cap.
    pooled = _run_async(manager.start_kernel(env={"VOILA_PREHEAT": "True"}))
    assert pooled == "new"


def test_at_the_cap_an_abandoned_kernel_makes_room(monkeypatch):
    from datetime import timedelta

    from jupyter_server._tz import utcnow

    kernels = {"open": _FakeKernel("idle"), "closed": _FakeKernel("idle")}
    manager, shut = _capped_manager(monkeypatch, kernels)
    manager._kernel_connections["open"] = 1
    kernels["closed"].alone_since = utcnow() - timedelta(minutes=5)  # its tab was closed
    assert _run_async(manager.start_kernel(kernel_name="python3")) == "new"
    assert shut == ["closed"]


def test_a_legacy_protocol_frame_does_not_hang_voila():
    """Voila 0.5.13 read such a frame's 4-byte count as an 8-byte one (billions of offsets)."""
    from jupyter_server.services.kernels.connection.base import serialize_binary_message
    from voila.tornado import kernel_websocket_handler

    import servicecourse.classroom.pool  # noqa: F401 - guards Voila's handler on import

    msg = {"header": {"msg_type": "comm_msg"}, "parent_header": {}, "metadata": {},
           "content": {}, "channel": "iopub", "buffers": [b"\x00" * 64]}  # fmt: skip
    frame = serialize_binary_message(msg)
    started = time.monotonic()
    assert kernel_websocket_handler.read_header_from_binary_message(frame) is None
    assert time.monotonic() - started < 0.1


class _FakeVoilaManager:
    """What Voila's preheating subclass adds to the manager, in miniature: pools of tasks
    that start a kernel and "run the notebook" (a short sleep), refilled after a hand-out."""

    @staticmethod
    def make(monkeypatch, cpus=4, **traits):
        import asyncio

        from servicecourse.classroom.pool import CappedKernelManager

        class Manager(CappedKernelManager):
            kernel_pools_config = {"default": {"pool_size": 1}}

            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self._pools = {}
                self.running = self.most_running = 0
                self.started = []

            async def _initialize(self, notebook, kernel_id=None, **kwargs):
                self.running += 1
                self.most_running = max(self.most_running, self.running)
                kernel_id = f"{notebook}-{len(self.started)}"
                self.started.append(notebook)
                self._preheated.add(kernel_id)

                async def run_notebook():
                    await asyncio.sleep(0.05)
                    self.running -= 1
                    return [], None

                task = asyncio.ensure_future(run_notebook())
                return {"task": task, "kernel_id": kernel_id, "renderer": None}

            def fill_if_needed(self, delay=None, notebook_name=None, **kwargs):
                pool = self._pools.setdefault(notebook_name, [])
                pool.append(asyncio.ensure_future(self._initialize(notebook_name)))

            async def get_rendered_notebook(self, notebook_name, **kwargs):
                content = await self._pools[notebook_name].pop(0)
                self.fill_if_needed(notebook_name=notebook_name)
                return content["task"], [], content["kernel_id"]

        monkeypatch.setattr(os, "cpu_count", lambda: cpus)
        return Manager(**traits)


def test_refills_run_one_at_a_time_and_a_page_gets_the_first_ready_kernel(monkeypatch):
    import asyncio

    async def scenario():
        manager = _FakeVoilaManager.make(monkeypatch, cpus=4, max_kernels=0)
        for notebook in ("a", "b", "c"):
            manager.fill_if_needed(notebook_name=notebook)
        await asyncio.sleep(0.3)
        assert manager.most_running == 3, "the server starts: preheat on every CPU"
        assert manager._preheated == {"a-0", "b-1", "c-2"}
        manager.most_running = 0
        handed = [await manager.get_rendered_notebook(n) for n in ("a", "b", "c")]
        assert [kid for _, _, kid in handed] == ["a-0", "b-1", "c-2"]
        assert not manager._preheated & {"a-0", "b-1", "c-2"}, "handed-out kernels serve"
        await asyncio.sleep(0.5)
        assert manager.most_running == 1, "learners are served: one refill at a time"
        # Voila would give the page the oldest kernel of the pool; it gets the ready one.
        stuck = asyncio.get_running_loop().create_future()
        ready = manager._pools["a"][0]
        manager._pools["a"][:] = [stuck, ready]
        _, _, kernel_id = await asyncio.wait_for(manager.get_rendered_notebook("a"), 5)
        assert kernel_id == ready.result()["kernel_id"]
        stuck.cancel()

    _run_async(scenario())


def test_the_emptiest_pool_is_refilled_first(monkeypatch):
    import asyncio

    async def scenario():
        manager = _FakeVoilaManager.make(monkeypatch, cpus=1)
        manager._served = True
        done = asyncio.get_running_loop().create_future()
        done.set_result({"kernel_id": "x"})
        manager._pools = {"full": [done, done], "empty": []}
        manager._preheating = 1  # a slot is busy
        turns = {n: asyncio.get_running_loop().create_future() for n in ("full", "empty")}
        manager._waiting = [(0, "full", turns["full"]), (1, "empty", turns["empty"])]
        manager._release()
        assert turns["empty"].done() and not turns["full"].done()

    _run_async(scenario())


def test_queued_preheats_give_up_when_the_server_stops(monkeypatch):
    import asyncio

    async def scenario():
        manager = _FakeVoilaManager.make(monkeypatch, cpus=1)
        manager._served = True  # one preheat at a time
        for _ in range(3):
            manager.fill_if_needed(notebook_name="a")
        await asyncio.sleep(0.01)
        await manager.shutdown_all()
        results = await asyncio.gather(*manager._pools["a"], return_exceptions=True)
        assert [type(r) for r in results] == [dict, RuntimeError, RuntimeError]
        assert manager.started == ["a"], "no kernel is started for a server that stops"

    _run_async(scenario())


def test_a_kernel_from_the_pool_counts_against_the_cap(monkeypatch):
    import asyncio

    from tornado import web

    async def scenario():
        manager = _FakeVoilaManager.make(monkeypatch, max_kernels=1)
        manager._kernels["open"] = _FakeKernel("idle")
        manager._kernel_connections["open"] = 1  # a learner's open tab
        manager.fill_if_needed(notebook_name="a")
        await asyncio.sleep(0.2)
        with pytest.raises(web.HTTPError) as refused:
            await manager.get_rendered_notebook("a")
        assert refused.value.status_code == 503
        assert len(manager._pools["a"]) == 1, "the refused page took no kernel"

    _run_async(scenario())


def test_a_port_in_use_is_a_clear_error():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(CourseError, match=rf"port {port} .* in use.*--port"):
            server.serve(port=port)


def test_the_one_cli_serves_or_remakes_the_thumbnails(monkeypatch):
    from servicecourse import cli

    calls = []
    monkeypatch.setattr(server, "serve", lambda **kwargs: calls.append(("serve", kwargs)))
    monkeypatch.setattr(server, "remake_thumbnails", lambda: calls.append(("thumbnails", {})))
    assert cli.main(["dashboards", "--thumbnails"]) == 0
    assert cli.main(["dashboards", "--no-thumbnails", "--preheat", "x=3"]) == 0
    assert calls == [
        ("thumbnails", {}),
        (
            "serve",
            {
                "port": DEFAULTS.dashboards_port,
                "open_browser": False,
                "thumbnails": False,
                "pool_size": DEFAULTS.dashboards_pool_size,
                "preheat": ["x=3"],
            },
        ),
    ]
    with pytest.raises(SystemExit):
        cli.main(["dashboards", "--thumbnails", "--no-thumbnails"])


# --- served by Voila, seen in a browser ---------------------------------------------------------


@pytest.fixture(scope="module")
def voila_server(tmp_path_factory):
    """The real `serve()` in its own process, stopped (kernels and all) whatever happens."""
    port = server.free_port()
    log = tmp_path_factory.mktemp("voila") / "serve.log"
    # Thumbnails are tested on their own; made here, they would compete with the tests for CPU.
    code = f"from {server.__name__} import serve; serve(port={port}, thumbnails=False)"
    launched = time.monotonic()
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=layout().root,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        try:
            server.wait_until_serving(url, process, timeout=60)
        except CourseError as err:
            pytest.fail(f"{err}:\n{log.read_text()}")
        ready = time.monotonic() - launched
        yield {"url": url, "launched": launched, "ready": ready, "log": log, "server": process}
    finally:
        process.send_signal(signal.SIGTERM)  # serve() turns it into a clean Voila shutdown
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _note_first_render(voila_server):
    """Printed with `pytest -s`: how long a teacher waits after launching, kernel included."""
    if "first_render" not in voila_server:
        voila_server["first_render"] = time.monotonic() - voila_server["launched"]
        print(
            f"\nlaunch to landing page: {voila_server['ready']:.1f} s; "
            f"launch to first rendered dashboard: {voila_server['first_render']:.1f} s"
        )


def _wait_until_rendered(page, voila_server):
    """Voila shows a spinner while the kernel runs the notebook, then the cells."""
    page.wait_for_selector("#rendered_cells", state="visible", timeout=RENDER_TIMEOUT_MS)
    # The widgets arrive after the cells; a dashboard without widgets would be a static page.
    page.wait_for_selector(".jp-OutputArea-output .jupyter-widgets", timeout=RENDER_TIMEOUT_MS)
    _note_first_render(voila_server)
    assert "There was an error when executing" not in page.locator("body").inner_text()
    errors = page.locator("[data-mime-type='application/vnd.jupyter.stderr']")
    assert errors.count() == 0, "a dashboard shows no errors or warnings: " + " | ".join(
        errors.all_inner_texts()
    )


@pytest.mark.browser
def test_landing_page_lists_every_dashboard(voila_server, offline_page):
    page = offline_page
    page.goto(voila_server["url"])
    links = page.locator("li.dashboard a")
    assert links.count() == len(DASHBOARDS)
    for dashboard in DASHBOARDS:
        link = page.locator(f"a[href='/{dashboard.url_path}']")
        assert link.locator(".title").inner_text() == dashboard.title
        assert dashboard.module in link.locator(".module").inner_text()
        assert link.locator(".purpose").inner_text() == dashboard.purpose
        assert link.locator(".thumb").count() == 1
    axe.assert_accessible(page, "the dashboards' landing page")
    assert not page.refused, f"requests left the machine: {page.refused}"


@pytest.mark.browser
def test_contacts_dashboard_reacts_to_its_widgets(voila_server, offline_page, contacts):
    from playwright.sync_api import expect

    page = offline_page
    page.goto(voila_server["url"])
    page.locator("li.dashboard a", has_text="Service desk contacts by channel").click()
    legend = page.locator(".js-plotly-plot .legend .traces")
    expect(legend).to_have_count(4, timeout=RENDER_TIMEOUT_MS)
    _note_first_render(voila_server)
    expect(page.locator(".js-plotly-plot .scatterlayer .trace")).to_have_count(4)
    summary = page.locator(".widget-html-content", has_text="contacts in")
    expect(summary).to_contain_text("111,384 contacts in 24 months")
    expect(page.locator(".js-plotly-plot .gtitle")).to_contain_text("2016–2017")

    page.get_by_role("checkbox", name="Phone").uncheck()
    expect(legend).to_have_count(3, timeout=15_000)
    expect(page.locator(".js-plotly-plot .legend")).not_to_contain_text("Phone")
    without_phone = desk_contacts.summarise(
        desk_contacts.select_contacts(contacts, ["email", "portal", "chat"], [2016, 2017])
    )
    expect(summary).to_contain_text(f"{without_phone.total:,} contacts in 24 months")

    page.get_by_role("button", name="2017", exact=True).click()
    expect(page.locator(".js-plotly-plot .gtitle")).to_contain_text("channel, 2017")
    in_2017 = desk_contacts.summarise(
        desk_contacts.select_contacts(contacts, ["email", "portal", "chat"], [2017])
    )
    expect(summary).to_contain_text(f"{in_2017.total:,} contacts in 12 months")
    assert not page.refused, f"requests left the machine: {page.refused}"


def _controls(page):
    """Every main widget of the page, found by its ipywidgets class, with a way to move it.

    Sliders, dropdowns and checkboxes come first and toggle buttons last: a toggle often
    switches the whole view (another dataset), where some settings no longer apply.
    """
    found = []
    for slider in page.locator("#rendered_cells .widget-slider").all():
        handle = slider.locator(".noUi-handle").first

        def slide(handle=handle):
            at_max = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
            handle.focus()
            handle.press("Home" if at_max else "End")

        found.append(("slider", slider, slide))
    for select in page.locator("#rendered_cells .widget-dropdown select").all():
        if select.locator("option").count() < 2:
            continue

        def pick_another(select=select):
            values = select.locator("option").evaluate_all("os => os.map(o => o.value)")
            current = select.input_value()
            select.select_option(next(v for v in values if v != current))

        found.append(("dropdown", select, pick_another))
    for box in page.locator("#rendered_cells .widget-checkbox input[type=checkbox]").all():
        found.append(("checkbox", box, lambda box=box: box.click()))
    for radio in page.locator("#rendered_cells .widget-radio-box").all():
        other = radio.locator("input:not(:checked)").first
        found.append(("radio buttons", radio, lambda other=other: other.check()))
    for group in page.locator("#rendered_cells .widget-toggle-buttons").all():
        other = group.locator("button:not(.mod-active)").first
        found.append(("toggle buttons", group, lambda other=other: other.click()))
    return found


@pytest.mark.browser
@each_dashboard
def test_every_dashboard_renders_offline_and_every_widget_changes_it(
    voila_server, offline_page, dashboard
):
    """The page renders with no errors and no request leaving the machine, and axe-core finds
    no serious or critical accessibility violation in it. Then each checkbox, dropdown, toggle
    group, radio group and slider is moved once, and the figures or tables must change in
    response: a dead control fails, not only a dead page. (One page view for all of it, because
    each view costs a kernel.)"""
    page = offline_page
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(voila_server["url"] + dashboard.url_path)
    _wait_until_rendered(page, voila_server)
    assert page.get_by_role("heading", name=dashboard.title).is_visible()
    if page.locator("#rendered_cells .js-plotly-plot").count():
        page.wait_for_selector(thumbnails.FIGURE_DRAWN, timeout=RENDER_TIMEOUT_MS)
    axe.assert_accessible(page, f"the dashboard {dashboard.title!r}")
    controls = _controls(page)
    assert controls, "a dashboard has controls the learner can move"
    for kind, control, move in controls:
        before = page.evaluate(thumbnails.FINGERPRINT)
        move()
        try:
            page.wait_for_function(
                f"(before) => ({thumbnails.FINGERPRINT})() !== before", arg=before, timeout=20_000
            )
        except Exception:
            pytest.fail(f"moving the {kind} {control.inner_text()[:60]!r} changed nothing shown")
    errors_shown = page.locator("[data-mime-type='application/vnd.jupyter.stderr']")
    assert errors_shown.count() == 0, errors_shown.all_inner_texts()
    assert not errors, f"the browser console shows errors: {errors}"
    assert not page.refused, f"requests left the machine: {page.refused}"


@pytest.mark.browser
def test_thumbnails_are_screenshots_of_the_rendered_dashboard(voila_server, browser, tmp_path):
    dashboard = DASHBOARDS[-1]
    made = thumbnails.write_thumbnails(voila_server["url"], tmp_path, [dashboard], browser=browser)
    assert made == [thumbnails.thumbnail_path(tmp_path, dashboard)]
    png = made[0].read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 20_000, "a picture, not a blank page"
    assert thumbnails.write_thumbnails(voila_server["url"], tmp_path, [dashboard]) == [], (
        "a thumbnail newer than its notebook is kept"
    )


# --- a class at once ------------------------------------------------------------------------------

CLASS = 8  # protocol-level learners, two per dashboard, besides one learner in Chromium


@pytest.mark.browser
def test_a_class_at_once_gets_every_answer_with_bounded_kernels(voila_server, offline_page):
    """Learners arrive together: each gets its page, the state of its widgets and, for every
    control moved, the kernel's answer (the figure and table updates), with no error. One of
    them is a real page in Chromium, moved while the others are. The server never runs more
    kernels than its cap and its pools. Figures are for the benchmark; this test only has
    (generous) timeouts, so that it stops by itself."""
    import asyncio
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import psutil
    from kit import dashboard_load
    from playwright.sync_api import expect

    voila_process = psutil.Process(voila_server["server"].pid)
    most = {"kernels": 0}
    finished = threading.Event()

    def count_kernels():
        while not finished.wait(0.5):
            found = 0
            for proc in voila_process.children(recursive=True):
                try:
                    found += "ipykernel" in " ".join(proc.cmdline())
                except psutil.Error:
                    pass
            most["kernels"] = max(most["kernels"], found)

    async def the_class():
        learners = dashboard_load.a_class(
            voila_server["url"], [d.url_path for d in DASHBOARDS], CLASS, moves=2, timeout=180
        )
        return await asyncio.wait_for(learners, 240)

    counter = threading.Thread(target=count_kernels, daemon=True)
    counter.start()
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            running = pool.submit(asyncio.run, the_class())
            page = offline_page
            page.goto(voila_server["url"] + DASHBOARDS[0].url_path, timeout=RENDER_TIMEOUT_MS)
            _wait_until_rendered(page, voila_server)
            summary = page.locator(".widget-html-content", has_text="contacts in")
            expect(summary).to_contain_text("contacts in 24 months", timeout=RENDER_TIMEOUT_MS)
            page.get_by_role("button", name="2017", exact=True).click()
            expect(summary).to_contain_text("contacts in 12 months", timeout=30_000)
            sessions = running.result()
    finally:
        finished.set()
        counter.join()
    assert [s.errors for s in sessions] == [[]] * CLASS
    assert all(s.complete(2) for s in sessions), sessions
    assert {s.dashboard for s in sessions} == {d.staged_name for d in DASHBOARDS}
    pools = DEFAULTS.dashboards_pool_size * len(DASHBOARDS)
    assert most["kernels"] <= server.MAX_KERNELS + pools
    assert not page.refused
