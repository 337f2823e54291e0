"""A connection to Ray for the ``--ray`` modes: a local instance started for the command, or an existing cluster.

Only the ``--ray`` code paths import this module (and so Ray): without the
flag, nothing about Ray is loaded.
"""

from __future__ import annotations

import logging
from types import ModuleType, TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing_extensions import Self

INSTALL_HINT = 'Ray is not installed: pip install -e ".[ray]"'


class RaySession:
    """Ray, initialised: the instance this process already joined, else one started or joined here.

    ``address`` is ``None`` for a local instance on this machine (all its
    CPUs), ``"auto"`` for the cluster this machine belongs to, or a cluster's
    address. :meth:`close` shuts Ray down only if this session initialised it,
    so a caller that joined a cluster first (a test, a notebook) keeps it.
    """

    def __init__(self, address: str | None = None) -> None:
        try:
            import ray
        except ImportError:
            raise RuntimeError(INSTALL_HINT) from None
        self.ray: ModuleType = ray
        self.started = not ray.is_initialized()
        if self.started:
            ray.init(address=address, include_dashboard=False, logging_level=logging.WARNING)

    def cpus(self) -> int:
        """The CPUs the cluster has (at least one)."""
        return max(1, int(self.ray.cluster_resources().get("CPU", 1)))

    def close(self) -> None:
        """Shut Ray down if this session started it."""
        if self.started and self.ray.is_initialized():
            self.ray.shutdown()
        self.started = False

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
