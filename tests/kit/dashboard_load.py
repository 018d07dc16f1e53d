"""A class of learners as lightweight clients of the classroom Voila server (a load test).

Twenty browsers on a small machine would measure the machine's JavaScript, not the server. A
``learner`` here does on the wire what the Voila page does, and nothing else:

1. GET the dashboard page: Voila answers with the notebook rendered by a preheated kernel (or by
   a kernel it starts for this page), with the page's kernel id in its configuration;
2. open that kernel's websocket and ask for the state of every widget, as the page's widget
   manager does (``jupyter.widget.control`` / ``request_states``): from then on the page could
   draw the dashboard; this is the *time to render*;
3. move a control (slider, dropdown, checkbox, radio or toggle buttons; the ones that switch the
   whole view last) the way the page does (a ``comm_msg`` "update" with the new value), and wait
   until the kernel has answered: its updates of the figure or the tables, then idle. An answer
   without any update of another widget counts as an error.

Everything has a timeout, and a session never raises: what went wrong is in its record.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from jupyter_server.services.kernels.connection.base import (
    deserialize_msg_from_ws_v1,
    serialize_msg_to_ws_v1,
)
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect

_KERNEL_ID = re.compile(r'"kernelId":\s*"([0-9a-f-]{36})"')
# Controls in the order they are moved; toggle buttons often switch the whole view (another
# dataset, where the other settings no longer apply), so they come last.
_CONTROL_ORDER = (
    "IntSliderModel",
    "FloatSliderModel",
    "DropdownModel",
    "CheckboxModel",
    "RadioButtonsModel",
    "ToggleButtonsModel",
)
_SELECTIONS = {"DropdownModel", "RadioButtonsModel", "ToggleButtonsModel"}
_SHOWN_ERROR = 'data-mime-type="application/vnd.jupyter.stderr"'
# The kernel websocket protocol of JupyterLab and Voila's page (binary frames).
PROTOCOL = "v1.kernel.websocket.jupyter.org"


@dataclass
class Session:
    """What one learner got: times in seconds from the moment the page was asked for."""

    dashboard: str
    page: float | None = None  # the page (rendered notebook) fully received
    render: float | None = None  # the widgets' state received: the page can draw
    answers: list[float] = field(default_factory=list)  # each move until its answer
    moved: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def complete(self, moves: int) -> bool:
        return self.render is not None and len(self.answers) == moves and not self.errors


def _message(msg_type: str, content: dict, session: str, metadata: dict | None = None) -> dict:
    return {
        "header": {
            "msg_id": uuid.uuid4().hex,
            "msg_type": msg_type,
            "session": session,
            "username": "learner",
            "date": datetime.now(UTC).isoformat(),
            "version": "5.3",
        },
        "parent_header": {},
        "metadata": metadata or {},
        "content": content,
        "channel": "shell",
        "buffers": [],
    }


_PARTS = ("header", "parent_header", "metadata", "content")


class _Kernel:
    """The page's websocket to its kernel, in the page's own protocol (``PROTOCOL``)."""

    def __init__(self, connection, session: str):
        self.connection = connection
        self.session = session

    async def send(self, msg_type: str, content: dict, metadata: dict | None = None) -> str:
        msg = _message(msg_type, content, self.session, metadata)
        parts = [json.dumps(msg[key]).encode() for key in _PARTS]
        await self.connection.write_message(serialize_msg_to_ws_v1(parts, "shell"), binary=True)
        return msg["header"]["msg_id"]

    async def receive(self, deadline: float) -> dict:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        frame = await asyncio.wait_for(self.connection.read_message(), left)
        if frame is None:
            raise ConnectionError("the server closed the kernel's websocket")
        if isinstance(frame, str):  # the legacy JSON protocol
            return json.loads(frame)
        channel, parts = deserialize_msg_from_ws_v1(frame)
        msg = {key: json.loads(part) for key, part in zip(_PARTS, parts, strict=False)}
        msg["channel"] = channel
        return msg


def controls(states: dict[str, dict]) -> list[tuple[str, str, dict]]:
    """(model id, model name, state) of every control a learner can move, in moving order.

    ``states`` is the widget manager's answer: model id to ``{"model_name", "state", ...}``.
    """
    found = []
    for model_id, model in states.items():
        name, state = model.get("model_name", ""), model.get("state", {})
        if name not in _CONTROL_ORDER or state.get("disabled"):
            continue
        if name in _SELECTIONS and len(state.get("_options_labels", ())) < 2:
            continue
        found.append((model_id, name, state))
    return sorted(found, key=lambda c: _CONTROL_ORDER.index(c[1]))


def moved_state(name: str, state: dict) -> dict:
    """The state a learner's move sends: the next option, the other end, the other tick."""
    if name in _SELECTIONS:
        index = state.get("index") or 0
        return {"index": (index + 1) % len(state["_options_labels"])}
    if name == "CheckboxModel":
        return {"value": not state["value"]}
    at_max = state["value"] >= state["max"]
    return {"value": state["min"] if at_max else state["max"]}


async def _render(kernel: _Kernel, deadline: float) -> dict[str, dict]:
    """Ask for every widget's state as the page's widget manager does."""
    await kernel.send("kernel_info_request", {})
    control = uuid.uuid4().hex
    await kernel.send(
        "comm_open",
        {"comm_id": control, "target_name": "jupyter.widget.control", "data": {}},
        {"version": "1.0.0"},  # ipywidgets' control protocol
    )
    await kernel.send("comm_msg", {"comm_id": control, "data": {"method": "request_states"}})
    while True:
        msg = await kernel.receive(deadline)
        content = msg.get("content", {})
        if msg["header"]["msg_type"] == "comm_msg" and content.get("comm_id") == control:
            data = content.get("data", {})
            if data.get("method") == "update_states":
                return data["states"]


async def _move(kernel: _Kernel, model_id: str, new_state: dict, deadline: float) -> int:
    """Send a move; return how many updates of other widgets the kernel answered with."""
    sent = await kernel.send(
        "comm_msg",
        {
            "comm_id": model_id,
            "data": {"method": "update", "state": new_state, "buffer_paths": []},
        },
    )
    updates = 0
    while True:
        msg = await kernel.receive(deadline)
        if msg.get("parent_header", {}).get("msg_id") != sent:
            continue
        kind, content = msg["header"]["msg_type"], msg.get("content", {})
        if kind == "comm_msg" and content.get("comm_id") != model_id:
            updates += 1
        elif kind == "error":
            raise RuntimeError(f"the kernel failed: {content.get('ename')}")
        elif kind == "status" and content.get("execution_state") == "idle":
            return updates


async def learner(
    base_url: str, dashboard_path: str, moves: int = 3, timeout: float = 120.0
) -> Session:
    """One learner opens ``base_url + dashboard_path`` and moves ``moves`` controls in turn."""
    record = Session(dashboard=dashboard_path.rsplit("/", 1)[-1])
    started = time.monotonic()
    deadline = started + timeout
    connection = None
    try:
        client = AsyncHTTPClient(force_instance=True)
        try:
            response = await client.fetch(
                HTTPRequest(base_url + dashboard_path, request_timeout=timeout)
            )
        except HTTPClientError as err:
            record.errors.append(f"HTTP {err.code} {err.message}")
            return record
        finally:
            client.close()
        record.page = time.monotonic() - started
        page = response.body.decode()
        if _SHOWN_ERROR in page or "There was an error when executing" in page:
            record.errors.append("the page shows an error")
        found = _KERNEL_ID.search(page)
        if not found:
            record.errors.append("no kernel id in the page")
            return record
        session = uuid.uuid4().hex
        ws_url = base_url.replace("http", "ws", 1).rstrip("/")
        connection = await asyncio.wait_for(
            websocket_connect(
                f"{ws_url}/api/kernels/{found.group(1)}/channels?session_id={session}",
                max_message_size=64 * 2**20,
                subprotocols=[PROTOCOL],
            ),
            max(0.1, deadline - time.monotonic()),
        )
        kernel = _Kernel(connection, session)
        states = await _render(kernel, deadline)
        record.render = time.monotonic() - started
        movable = controls(states)
        if not movable:
            record.errors.append("no control to move")
            return record
        for i in range(moves):
            model_id, name, state = movable[i % len(movable)]
            new = moved_state(name, state)
            moved_at = time.monotonic()
            updates = await _move(kernel, model_id, new, deadline)
            if not updates:
                record.errors.append(f"moving a {name} changed nothing")
                return record
            record.answers.append(time.monotonic() - moved_at)
            record.moved.append(name)
            state.update(new)
    except TimeoutError:
        record.errors.append(f"no answer within {timeout:.0f} s")
    except Exception as err:  # noqa: BLE001 - every failure is a figure of the report
        record.errors.append(f"{type(err).__name__}: {str(err).splitlines()[0][:160]}")
    finally:
        if connection is not None:
            connection.close()
    return record


async def a_class(
    base_url: str,
    dashboard_paths: list[str],
    sessions: int,
    moves: int = 3,
    stagger: float = 0.0,
    timeout: float = 120.0,
) -> list[Session]:
    """``sessions`` learners, the i-th opening ``dashboard_paths[i % len]`` after
    ``i * stagger`` seconds; returns once every one has its answers or has timed out."""

    async def one(i: int) -> Session:
        await asyncio.sleep(i * stagger)
        return await learner(base_url, dashboard_paths[i % len(dashboard_paths)], moves, timeout)

    return list(await asyncio.gather(*(one(i) for i in range(sessions))))
