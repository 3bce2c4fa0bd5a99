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
HTTP_PROTOCOL = "aura.api.protocol:ServiceHttpProtocol"
"""uvicorn's ``http`` option: httptools with TCP_NODELAY on every connection, which uvicorn's
multi-worker socket otherwise loses, and a request to switch protocols answered without a warning
(`aura.api.protocol`)."""
KEEP_ALIVE_SECONDS = 75
"""How long an idle kept-alive connection stays open (uvicorn's ``timeout_keep_alive``; its own
default is 5 s). Longer than a load balancer's idle timeout (60 s on AWS's Application Load
Balancer, as in nginx's upstream ``keepalive_timeout``), so the balancer closes an idle connection
and never sends a request down one the service is closing, which its clients would get as a 502.
Users who ask again within it keep their connection instead of opening a new one (docs/api.md,
10,000 users)."""


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _positive_int(name: str, default: int, most: int | None = None, why: str = "") -> int:
    """A positive whole number from environment variable ``name``, or ``default`` if unset; at
    most ``most`` where given (``why`` says why)."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"environment variable {name} must be a positive integer, got {raw!r}")
    if most is not None and value > most:
        raise ValueError(f"environment variable {name} must be at most {most} ({why}), got {raw!r}")
    return value


def _log_level(name: str, default: str) -> str:
    raw = os.environ.get(name) or default
    if raw.upper() not in LOG_LEVELS:
        raise ValueError(
            f"environment variable {name} must be one of {', '.join(LOG_LEVELS)}, got {raw!r}"
        )
    return raw.upper()


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
    cores to uvicorn workers. At most the machine's cores: each of the five sessions starts its
    threads at load, and 100,000 of them took the service down with no message."""
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, artifacts_dir: Path | None = None) -> Settings:
        """The settings the environment gives; a value that cannot be used is a ValueError
        naming the variable (`aura serve` and ``python -m aura.api`` check them before uvicorn
        starts)."""
        folder = artifacts_dir or Path(os.environ.get(ARTIFACTS_ENV, "artifacts"))
        return cls(
            artifacts_dir=Path(folder),
            max_records=_positive_int("AURA_MAX_RECORDS", cls.max_records),
            max_body_bytes=_positive_int("AURA_MAX_BODY_BYTES", cls.max_body_bytes),
            ort_threads=_positive_int(
                "AURA_ORT_THREADS",
                cls.ort_threads,
                most=os.cpu_count() or 1,
                why="this machine's cores: more threads only contend",
            ),
            log_level=_log_level("AURA_LOG_LEVEL", cls.log_level),
        )
