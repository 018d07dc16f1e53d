"""The kernel manager of the classroom dashboards: a class-sized pool, culling and a cap.

Voila starts one kernel per page view. With ``--preheat_kernel`` it keeps ``pool_size`` kernels
per dashboard started with the notebook already run, so a page is rendered at once; it refills
the pool after each page. On a classroom server, twenty learners click within a minute, and
Voila 0.5 would start twenty refills at once: two cores then spend a minute starting kernels
while the learners' widgets wait for an answer. So this manager

- preheats **one kernel at a time** while learners use their dashboards
  (``preheat_concurrency``), so that refills leave a CPU to answer their widgets; as many as
  there are CPUs while nobody is served yet (the server starts) or while a page waits for a
  kernel (a burst of clicks beyond the pool), when a pool is empty without waiting Voila's
  ``fill_delay``; and it lets the dashboard with the fewest ready kernels go first: a dashboard
  the class is opening is refilled before another dashboard's pool is topped up;
- takes ``pool_sizes`` per dashboard on top of Voila's ``default_pool_size``, for the dashboard
  a whole class opens at once;
- counts the kernels that serve learners (handed out from the pool or started for a page) and,
  at ``max_kernels``, first shuts down abandoned ones, then refuses the page with a readable
  "The classroom server is full" instead of starting one more kernel;
- culls a kernel once no browser has been connected to it for ``cull_idle_timeout`` seconds
  (jupyter_server's culler, with ``cull_connected=False``: an open tab keeps its kernel). Voila
  0.5 never hears that a tab was closed: the page's shutdown request on ``beforeunload`` is
  refused for want of an XSRF token (voila-dashboards/voila#1458, "403 POST
  /voila/api/shutdown/..."), so every reload would otherwise leave a kernel behind. A kernel
  just handed to a page whose browser has not connected yet is not culled.

Importing this module (Voila does, to find the class) also guards Voila's websocket handler
against a frame it misreads (see ``_guard_websocket_header``).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from datetime import timedelta

from jupyter_server._tz import utcnow
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado import web
from traitlets import Dict, Float, Int

# Voila puts this in the environment of the kernels it starts for its preheated pool.
PREHEAT_ENV = "VOILA_PREHEAT"


class CappedKernelManager(AsyncMappingKernelManager):
    max_kernels = Int(
        40,
        config=True,
        help="Most kernels serving learners at once; 0 or less means no limit. Kernels kept "
        "ready in Voila's preheated pool are not counted.",
    )
    reclaim_after = Float(
        60.0,
        config=True,
        help="At the cap, a kernel that no browser has been connected to for this many seconds "
        "is shut down to make room.",
    )
    preheat_concurrency = Int(
        1,
        config=True,
        help="Kernels preheated at the same time once learners are served; while nobody is "
        "served yet (the server starts), as many as there are CPUs.",
    )
    preheat_timeout = Float(
        180.0,
        config=True,
        help="Seconds a preheating kernel may take to run its notebook before the next one "
        "starts anyway (a notebook that hangs must not stop every refill).",
    )
    pool_sizes = Dict(
        value_trait=Int(),
        config=True,
        help="Preheated kernels for particular dashboards (notebook path: kernels), instead of "
        "Voila's default_pool_size.",
    )

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._preheated: set[str] = set()  # started for the pool and not handed out yet
        self._served = False
        self._closing = False
        self._demand: dict[str, int] = {}  # pages waiting for a kernel, per dashboard
        self._preheating = 0
        self._waiting: list[tuple[int, str, asyncio.Future]] = []
        self._arrivals = itertools.count()
        # Voila's preheating subclass (voila_kernel_manager_factory) calls these two on the
        # instance; it fills its pools right after this __init__.
        if hasattr(self, "_initialize") and hasattr(self, "get_rendered_notebook"):
            self._voila_initialize = self._initialize
            self._initialize = self._preheat
            self._voila_get_rendered_notebook = self.get_rendered_notebook
            self.get_rendered_notebook = self._hand_out
            self._voila_fill_if_needed = self.fill_if_needed
            self.fill_if_needed = self._fill
            if self.pool_sizes:
                pools = dict(self.kernel_pools_config)
                default = pools.get("default", {})
                for notebook, size in self.pool_sizes.items():
                    pools[notebook] = {**default, **pools.get(notebook, {}), "pool_size": size}
                self.kernel_pools_config = pools

    # --- preheating one kernel at a time, the emptiest pool first -------------------------------

    def _ready(self, notebook: str) -> int:
        pool = getattr(self, "_pools", {}).get(notebook, ())
        return sum(1 for task in pool if task.done())

    def _slots(self) -> int:
        if self._served and not any(self._demand.values()):
            return max(1, self.preheat_concurrency)
        return max(1, self.preheat_concurrency, os.cpu_count() or 1)

    def _fill(self, delay=None, notebook_name=None, *args, **kwargs):
        """Voila's refill; at once, not after ``fill_delay``, when no kernel is ready."""
        if notebook_name is not None and not self._ready(notebook_name):
            delay = 0
        return self._voila_fill_if_needed(delay, notebook_name, *args, **kwargs)

    async def _acquire(self, notebook: str) -> None:
        if self._closing:
            raise RuntimeError("the server is shutting down")
        if self._preheating < self._slots() and not self._waiting:
            self._preheating += 1
            return
        turn = asyncio.get_running_loop().create_future()
        self._waiting.append((next(self._arrivals), notebook, turn))
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self._release()  # the slot was handed over as the wait was cancelled
            else:
                self._waiting = [w for w in self._waiting if w[2] is not turn]
            raise

    def _release(self) -> None:
        self._preheating -= 1
        self._dispatch()

    def _dispatch(self) -> None:
        """Hand the free slots to the waiting preheats, the emptiest pool first."""
        while self._waiting and self._preheating < self._slots():
            first = min(
                self._waiting,
                key=lambda w: (self._ready(w[1]) - self._demand.get(w[1], 0), w[0]),
            )
            self._waiting.remove(first)
            self._preheating += 1
            first[2].set_result(None)

    async def _preheat(self, notebook_name, kernel_id=None, **kwargs):
        """Voila's ``_initialize`` (start a kernel, run the notebook in it), behind the gate.

        The slot is held until the notebook has run: starting Python is the smaller part.
        """
        if kernel_id is not None:  # a restart of a learner's kernel, not a pool fill
            return await self._voila_initialize(notebook_name, kernel_id, **kwargs)
        await self._acquire(notebook_name)
        started = time.monotonic()
        try:
            content = await self._voila_initialize(notebook_name, None, **kwargs)
            await asyncio.wait({content["task"]}, timeout=self.preheat_timeout)
        finally:
            self._release()
        self.log.info(
            "Preheated a kernel for %s in %.1f s (%d ready)",
            notebook_name,
            time.monotonic() - started,
            self._ready(notebook_name) + 1,
        )
        return content

    async def _hand_out(self, notebook_name, *args, **kwargs):
        """A page takes a kernel from the pool: it counts against the cap from now on.

        Voila would hand the page the oldest kernel of the pool, even one still waiting to be
        preheated while a younger one is ready: the page gets the first one ready instead.
        """
        self._served = True
        await self._make_room()
        await self._first_ready_in_front(notebook_name)
        await self._make_room()  # other pages may have taken the room while this one waited
        render_task, rendered, kernel_id = await self._voila_get_rendered_notebook(
            notebook_name, *args, **kwargs
        )
        self._preheated.discard(kernel_id)
        kernel = self._kernels.get(kernel_id)
        if kernel is not None:
            kernel.alone_since = utcnow()  # the page's browser has not connected yet
        return render_task, rendered, kernel_id

    async def _first_ready_in_front(self, notebook_name) -> None:
        """Put the pool's first ready kernel in front, waiting for one if none is ready; while
        a page waits, preheating uses every CPU and this dashboard's pool goes first."""
        waiting = False
        try:
            while True:
                pool = getattr(self, "_pools", {}).get(notebook_name)
                if not pool:
                    return
                done = [t for t in pool if t.done()]
                if done:
                    good = [t for t in done if not t.cancelled() and t.exception() is None]
                    first = (good or done)[0]
                    pool.remove(first)
                    pool.insert(0, first)
                    return
                if not waiting:
                    waiting = True
                    self._demand[notebook_name] = self._demand.get(notebook_name, 0) + 1
                    self._dispatch()
                await asyncio.wait(list(pool), return_when=asyncio.FIRST_COMPLETED)
        finally:
            if waiting:
                self._demand[notebook_name] -= 1

    # --- which kernels serve learners ------------------------------------------------------------

    def serving_ids(self) -> list[str]:
        """Kernels that serve (or served) a page: every kernel not waiting in a pool."""
        return [kid for kid in self.list_kernel_ids() if kid not in self._preheated]

    # --- when was a browser last connected -----------------------------------------------------

    def notify_connect(self, kernel_id):
        super().notify_connect(kernel_id)
        kernel = self._kernels.get(kernel_id)
        if kernel is not None:
            kernel.alone_since = None

    def notify_disconnect(self, kernel_id):
        super().notify_disconnect(kernel_id)
        kernel = self._kernels.get(kernel_id)
        if kernel is not None and not self._kernel_connections.get(kernel_id, 0):
            kernel.alone_since = utcnow()

    def _alone_for(self, kernel_id: str) -> float:
        """Seconds without any browser connected, counted from when this manager first noticed
        (a disconnect, the hand-out to a page, or the first check); 0 if connected."""
        kernel = self._kernels.get(kernel_id)
        if kernel is None or self._kernel_connections.get(kernel_id, 0):
            return 0.0
        if getattr(kernel, "alone_since", None) is None:
            kernel.alone_since = utcnow()
        return (utcnow() - kernel.alone_since).total_seconds()

    async def cull_kernel_if_idle(self, kernel_id):
        if kernel_id in self._preheated:
            return None  # waiting in a pool (Voila's own check misses the ones still starting)
        if kernel_id in self._kernels and self._alone_for(kernel_id) < self.cull_idle_timeout:
            kernel = self._kernels[kernel_id]
            if getattr(kernel, "execution_state", None) != "dead":
                return None
        return await super().cull_kernel_if_idle(kernel_id)

    async def shutdown_all(self, *args, **kwargs):
        """Voila then waits for every pool task: the ones queued for a slot give up at once
        instead of each starting a kernel in turn."""
        self._closing = True
        for _, _, turn in self._waiting:
            if not turn.done():
                turn.set_exception(RuntimeError("the server is shutting down"))
        self._waiting = []
        return await super().shutdown_all(*args, **kwargs)

    async def shutdown_kernel(self, kernel_id, *args, **kwargs):
        self._preheated.discard(kernel_id)
        return await super().shutdown_kernel(kernel_id, *args, **kwargs)

    # --- the cap ---------------------------------------------------------------------------------

    async def _reclaim(self, needed: int) -> None:
        """Shut down the kernels left alone longest (more than ``reclaim_after`` seconds)."""
        cutoff = timedelta(seconds=self.reclaim_after).total_seconds()
        candidates = []
        for kid in self.serving_ids():
            kernel = self.get_kernel(kid)
            if getattr(kernel, "execution_state", "") == "busy":
                continue
            alone = self._alone_for(kid)
            if alone > cutoff:
                candidates.append((-alone, kid))
        for _, kid in sorted(candidates)[:needed]:
            self.log.warning("Kernel cap reached: shutting down abandoned kernel %s", kid)
            await self.shutdown_kernel(kid)

    async def _make_room(self) -> None:
        """Room for one more learner's kernel, or a readable refusal (HTTP 503)."""
        if self.max_kernels <= 0:
            return
        excess = len(self.serving_ids()) - self.max_kernels + 1
        if excess > 0:
            await self._reclaim(excess)
        if len(self.serving_ids()) >= self.max_kernels:
            self.log.warning("Kernel cap of %d reached: a page was refused", self.max_kernels)
            raise web.HTTPError(
                503,
                "The classroom server already runs %d dashboards, its limit. Close the "
                "dashboard tabs you no longer use, wait a minute and reload this page.",
                self.max_kernels,
                reason="The classroom server is full",
            )

    async def start_kernel(self, *args, **kwargs):
        preheated = (kwargs.get("env") or {}).get(PREHEAT_ENV) == "True"
        if not preheated:
            await self._make_room()
        kernel_id = await super().start_kernel(*args, **kwargs)
        if preheated:
            self._preheated.add(kernel_id)
        return kernel_id


# --- Voila's websocket handler and the frames it misreads ---------------------------------------


def _guard_websocket_header() -> None:
    """Voila 0.5.13 reads the header of every binary frame it sends to a page as the v1 kernel
    protocol (``voila.tornado.kernel_websocket_handler``). A client of the legacy protocol (any
    Jupyter client that asks for no subprotocol) gets binary frames for messages with buffers
    in another layout: Voila then reads an offset count in the billions and builds that list,
    and the whole server hangs, its memory growing by gigabytes. Frames whose offset table
    does not fit in the frame are passed on unread, as Voila does with any unreadable header.
    """
    try:
        from voila.tornado import kernel_websocket_handler as handler
    except ImportError:
        return
    read = handler.read_header_from_binary_message
    if getattr(read, "guarded", False):
        return

    def read_header_from_binary_message(ws_msg: bytes):
        count = int.from_bytes(ws_msg[:8], "little")
        if 8 * (count + 1) > len(ws_msg):
            return None
        return read(ws_msg)

    read_header_from_binary_message.guarded = True
    handler.read_header_from_binary_message = read_header_from_binary_message


_guard_websocket_header()
