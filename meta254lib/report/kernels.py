"""The Jupyter kernels of a report run: a kernel manager that logs each kernel and can kill them all."""

from __future__ import annotations

import contextlib
import threading
import weakref
from typing import Any

__all__ = ["kernel_manager_class", "kill_kernels"]

_live_kernels: weakref.WeakSet[Any] = weakref.WeakSet()
_km_class: type | None = None
_km_lock = threading.Lock()


def kernel_manager_class() -> type:
    """An AsyncKernelManager that logs the kernel's own stdout/stderr to ``<ip>.log``.

    Its instances are tracked so an interrupted run can kill its kernels.
    """
    global _km_class
    with _km_lock:
        if _km_class is None:
            from jupyter_client import AsyncKernelManager

            class ReportKernelManager(AsyncKernelManager):  # type: ignore[misc, valid-type]
                def __init__(self, *args: Any, **kwargs: Any) -> None:
                    super().__init__(*args, **kwargs)
                    _live_kernels.add(self)

                async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
                    with open(f"{self.ip}.log", "ab") as log:
                        kw["stdout"] = log
                        kw["stderr"] = log
                        await super()._async_launch_kernel(kernel_cmd, **kw)

            _km_class = ReportKernelManager
        return _km_class


def kill_kernels() -> None:
    """Kill every kernel this process started that is still running (an interrupted run)."""
    for km in list(_live_kernels):
        proc = getattr(getattr(km, "provisioner", None), "process", None)
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(OSError):
                proc.kill()
