"""A ShardRunner over a Ray cluster: each chunk is one Ray task, results in chunk order.

The cluster belongs to the party whose key the chunks carry, and to nobody else:
every task receives that party's secret (the owner's blinding scalar, Paillier
key or openmined-psi key) with its chunk, so a cluster shared with the other
party, or with anyone the owner would not show its key to, breaks the protocol.
Configure ``ray_address`` only for a cluster inside the owner's own boundary.

Memory stays bounded: at most ``in_flight`` chunks are submitted and unfinished at
once, and each result is taken back (in order) before the next chunk goes out.
The cluster's nodes need this package importable (the same Sealroom installed),
as the task functions are sent by reference to their modules.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, TypeVar

import ray

from jobs.psi.errors import PsiError

T = TypeVar("T")
R = TypeVar("R")

CONNECT_SECONDS = 3.0


class RayClusterUnreachable(PsiError):
    """The configured Ray cluster does not answer."""

    def __init__(self, address: str, why: str) -> None:
        self.address = address
        super().__init__(
            f"no Ray cluster answers at {address} ({why}): start one on the owner's machines "
            "with `ray start --head` and point SEALROOM_RAY_ADDRESS at it, or unset "
            "SEALROOM_RAY_ADDRESS to run PSI in local worker processes"
        )


def _check_reachable(address: str) -> None:
    """A plain TCP connect first: ``ray.init`` would retry an absent cluster for a minute."""
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise RayClusterUnreachable(address, "the address is not host:port")
    try:
        with socket.create_connection((host, int(port)), timeout=CONNECT_SECONDS):
            pass
    except OSError as err:
        raise RayClusterUnreachable(address, err.strerror or str(err)) from None


def _on_node(fn: Callable[[Any], Any], chunk: Any) -> tuple[str, Any]:
    """The task body: runs ``fn`` and says which node it ran on (for tests and logs)."""
    return ray.get_runtime_context().get_node_id(), fn(chunk)


class RayRunner:
    """Maps chunks as Ray tasks, spread over the cluster's nodes; close to disconnect."""

    def __init__(self, address: str, in_flight: int | None = None) -> None:
        _check_reachable(address)
        if not ray.is_initialized():
            try:
                ray.init(
                    address=address,
                    logging_level=logging.WARNING,
                    log_to_driver=False,
                    configure_logging=False,
                )
            except (ConnectionError, RuntimeError) as err:
                raise RayClusterUnreachable(address, str(err).splitlines()[0]) from None
        self._address = address
        cpus = ray.cluster_resources().get("CPU", 1)  # type: ignore[no-untyped-call]
        self._workers = max(1, int(cpus))
        self._in_flight = in_flight or 2 * self._workers
        self._task = ray.remote(num_cpus=1, scheduling_strategy="SPREAD", max_retries=0)(_on_node)
        self.nodes_used: set[str] = set()

    @property
    def workers(self) -> int:
        return self._workers

    @property
    def address(self) -> str:
        return self._address

    def map(self, fn: Callable[[T], R], chunks: Sequence[T]) -> list[R]:
        results: list[R] = []
        pending: list[Any] = []
        # The function goes into the object store once per map, not once per chunk.
        fn_ref = ray.put(fn)
        for chunk in chunks:
            if len(pending) >= self._in_flight:
                results.append(self._take(pending.pop(0)))
            pending.append(self._task.remote(fn_ref, chunk))
        results.extend(self._take(ref) for ref in pending)
        return results

    def _take(self, ref: Any) -> Any:
        try:
            node, value = ray.get(ref)
        except ray.exceptions.RayTaskError as err:
            # The task's own typed error (a malformed message, say), not Ray's wrapper.
            raise err.cause from None
        self.nodes_used.add(node)
        return value

    def close(self) -> None:
        ray.shutdown()

    def __enter__(self) -> RayRunner:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
