"""Kernels for the course's own runs (the book build, the answer variants): Unix sockets in a
folder of each kernel's own.

With TCP, jupyter_client picks free ports before the kernel binds them, so two kernels starting
at once (the build runs two, and a teacher's machine may run more) can collide with "Address
already in use"; ipc sockets in one shared folder race the same way. A private folder cannot.
"""

from __future__ import annotations

import os
import shutil
import tempfile

from jupyter_client.manager import AsyncKernelManager
from traitlets import default


class PrivateSocketKernelManager(AsyncKernelManager):
    """An nbclient kernel manager whose sockets live in a temporary folder of its own."""

    @default("transport")
    def _ipc(self):
        return "ipc"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.socket_folder = tempfile.mkdtemp(prefix="servicecourse-run-")
        self.connection_file = os.path.join(self.socket_folder, "kernel.json")
        self.ip = os.path.join(self.socket_folder, "kernel-ipc")

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            shutil.rmtree(self.socket_folder, ignore_errors=True)

    cleanup_resources = _async_cleanup_resources  # AsyncKernelManager awaits this name
