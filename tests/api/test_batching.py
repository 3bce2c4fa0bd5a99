"""Micro-batching: concurrent requests share one model call and still get their own answers."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx2
import numpy as np
import pytest
from fastapi.testclient import TestClient
from test_endpoints import PREDICT, learner

from aura.api.app import create_app
from aura.api.batching import MicroBatcher
from aura.api.settings import Settings


def test_requests_in_one_turn_of_the_loop_share_one_call() -> None:
    calls: list[list[int]] = []

    def double(records: list[int]) -> list[int]:
        calls.append(list(records))
        return [2 * r for r in records]

    async def main() -> list[list[int]]:
        batcher = MicroBatcher(double)
        return await asyncio.gather(batcher([1]), batcher([2, 3]), batcher([4]))

    assert asyncio.run(main()) == [[2], [4, 6], [8]]
    assert calls == [[1, 2, 3, 4]]


def test_a_full_batch_runs_at_once_and_an_error_reaches_every_request() -> None:
    calls: list[int] = []

    def count(records: list[int]) -> list[int]:
        calls.append(len(records))
        if 0 in records:
            raise ValueError("bad batch")
        return records

    async def main() -> tuple[list[Any], list[Any]]:
        batcher = MicroBatcher(count, max_records=3)
        full = await asyncio.gather(batcher([1, 2]), batcher([3]), batcher([4]))
        failed = await asyncio.gather(batcher([0]), batcher([5]), return_exceptions=True)
        return full, failed

    full, failed = asyncio.run(main())
    assert full == [[1, 2], [3], [4]]
    assert calls[:2] == [3, 1]  # the first three records ran as soon as they were in hand
    assert all(isinstance(e, ValueError) for e in failed)


def test_a_request_cancelled_while_its_batch_waits_leaves_the_others_their_answers() -> None:
    """A client gone before its batch ran (its request cancelled) is skipped; setting its
    result would raise in the batch and leave every other request of it waiting for ever."""

    async def main() -> tuple[bool, list[int]]:
        batcher = MicroBatcher(lambda records: [10 * r for r in records])
        gone = asyncio.ensure_future(batcher([1]))
        kept = asyncio.ensure_future(batcher([2, 3]))
        await asyncio.sleep(0)  # both requests have joined the batch, which has not run
        gone.cancel()
        answer = await asyncio.wait_for(kept, 10)  # never reached if the batch failed
        return gone.cancelled(), answer

    assert asyncio.run(main()) == (True, [20, 30])


@pytest.mark.parametrize("endpoint", ["tutor-match", "compatibility"])
def test_concurrent_requests_get_the_answers_they_get_alone(
    endpoint: str, client: TestClient, artifacts_dir, rng: np.random.Generator
) -> None:
    if endpoint == "tutor-match":
        records = [learner(rng) for _ in range(12)]
    else:
        doc = client.get("/openapi.json").json()
        body = doc["paths"][PREDICT + endpoint]["post"]["requestBody"]["content"]
        base = body["application/json"]["examples"]["one record"]["value"]
        records = [{**base, "age": int(a)} for a in rng.integers(8, 19, size=12)]
    alone = [client.post(PREDICT + endpoint, json=r).json()["predictions"] for r in records]

    app = create_app(settings=Settings(artifacts_dir=artifacts_dir))
    served: list[MicroBatcher] = []
    sizes: list[int] = []

    async def main() -> list[Any]:
        async with app.router.lifespan_context(app):
            predictor = app.state.service.predictor
            method = "tutor_match" if endpoint == "tutor-match" else "scores"
            original = getattr(predictor, method)

            def spy(*args: Any) -> Any:
                sizes.append(len(args[0] if method == "tutor_match" else args[1]))
                return original(*args)

            setattr(predictor, method, spy)
            transport = httpx2.ASGITransport(app=app)
            async with httpx2.AsyncClient(transport=transport, base_url="http://test") as c:
                replies = await asyncio.gather(
                    *(c.post(PREDICT + endpoint, json=r) for r in records)
                )
            served.extend(app.state.service.batchers.values())
        return [r.json()["predictions"] for r in replies]

    assert asyncio.run(main()) == alone
    assert len(served) == 1
    assert sum(sizes) == len(records) and max(sizes) > 1, sizes  # some requests shared a call
