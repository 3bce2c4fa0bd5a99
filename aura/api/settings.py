"""Service settings, read from the environment so every uvicorn worker sees the same values."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ARTIFACTS_ENV = "AURA_ARTIFACTS"
EVENT_LOOP = "asyncio"
"""uvicorn's event loop (``aura serve`` and the Docker image). uvloop, uvicorn's pick when it is
installed, answered 1,000 concurrent connections unfairly here: p99 9.8 s and 69 requests over
15 s, against p99 0.34 s and none for asyncio's own loop, which matched it on one and 64
connections (docs/api.md)."""
HTTP_PROTOCOL = "aura.api.protocol:NoDelayHttpToolsProtocol"
"""uvicorn's ``http`` option: httptools with TCP_NODELAY on every connection, which uvicorn's
multi-worker socket otherwise loses (`aura.api.protocol`)."""
KEEP_ALIVE_SECONDS = 75
"""How long an idle kept-alive connection stays open (uvicorn's ``timeout_keep_alive``; its own
default is 5 s). Longer than a load balancer's idle timeout (60 s on AWS's Application Load
Balancer, as in nginx's upstream ``keepalive_timeout``), so the balancer closes an idle connection
and never sends a request down one the service is closing, which its clients would get as a 502.
Users who ask again within it keep their connection instead of opening a new one (docs/api.md,
10,000 users)."""


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"environment variable {name} must be an integer, got {raw!r}") from None


@dataclass(frozen=True)
class Settings:
    """What the service reads, how much it accepts, and how it runs the models."""

    artifacts_dir: Path
    max_records: int = 100_000
    """Records per request; more is answered 413."""
    max_body_bytes: int = 64 * 1024 * 1024
    """Request body size; more is answered 413 before the body is read."""
    ort_threads: int = 1
    """onnxruntime threads per session: one keeps single-record latency low and leaves the
    cores to uvicorn workers."""
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, artifacts_dir: Path | None = None) -> Settings:
        folder = artifacts_dir or Path(os.environ.get(ARTIFACTS_ENV, "artifacts"))
        return cls(
            artifacts_dir=Path(folder),
            max_records=_int("AURA_MAX_RECORDS", cls.max_records),
            max_body_bytes=_int("AURA_MAX_BODY_BYTES", cls.max_body_bytes),
            ort_threads=_int("AURA_ORT_THREADS", cls.ort_threads),
            log_level=os.environ.get("AURA_LOG_LEVEL", cls.log_level).upper(),
        )
