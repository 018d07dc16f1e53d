"""The kernel manager of the classroom dashboards: abandoned kernels go, and there is a cap.

Voila starts one kernel per page view and, in Voila 0.5, never hears that a tab was closed:
the page's shutdown request on ``beforeunload`` is refused for want of an XSRF token
(voila-dashboards/voila#1458, "403 POST /voila/api/shutdown/..."). Every reload of every learner
would leave a kernel behind. So this manager

- culls a kernel once no browser has been connected to it for ``cull_idle_timeout`` seconds
  (jupyter_server's culler, with ``cull_connected=False``: an open tab keeps its kernel);
- never culls a kernel that was just handed to a page and whose browser has not connected yet
  (a preheated kernel may have waited in the pool longer than the timeout);
- refuses a new learner kernel once ``max_kernels`` serve learners, after first shutting down
  abandoned ones; the refusal is a readable page ("The classroom server is full"), not a
  traceback.

Voila's preheated pool (``--preheat_kernel``) is built on top of this class; the kernels waiting
in it are not counted (the pool is small and fixed: ``pool_size`` per dashboard) and Voila keeps
them from the culler.
"""

from __future__ import annotations

from datetime import timedelta

from jupyter_server._tz import utcnow
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado import web
from traitlets import Float, Int

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

    def _pooled_ids(self) -> set[str]:
        """Kernels waiting in Voila's preheated pool (started, not yet handed to a page)."""
        pooled = set()
        for pool in getattr(self, "_pools", {}).values():
            for task in pool:
                if task.done() and not task.cancelled() and task.exception() is None:
                    pooled.add(task.result().get("kernel_id"))
        return pooled

    def serving_ids(self) -> list[str]:
        """Kernels that serve (or served) a page; a kernel still starting for the pool counts."""
        pooled = self._pooled_ids()
        return [kid for kid in self.list_kernel_ids() if kid not in pooled]

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
        (a disconnect, or the first check after the kernel left the pool); 0 if connected."""
        kernel = self._kernels.get(kernel_id)
        if kernel is None or self._kernel_connections.get(kernel_id, 0):
            return 0.0
        if getattr(kernel, "alone_since", None) is None:
            kernel.alone_since = utcnow()
        return (utcnow() - kernel.alone_since).total_seconds()

    async def cull_kernel_if_idle(self, kernel_id):
        # Voila's subclass has already skipped the kernels waiting in its pool.
        if kernel_id in self._kernels and self._alone_for(kernel_id) < self.cull_idle_timeout:
            kernel = self._kernels[kernel_id]
            if getattr(kernel, "execution_state", None) != "dead":
                return None
        return await super().cull_kernel_if_idle(kernel_id)

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

    async def start_kernel(self, *args, **kwargs):
        preheated = (kwargs.get("env") or {}).get(PREHEAT_ENV) == "True"
        if not preheated and self.max_kernels > 0:
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
        return await super().start_kernel(*args, **kwargs)
