"""Requests that arrive together share one model call.

Under concurrent load most of a small request's model time is not the model: onnxruntime's fixed
cost per call, paid with the processor's caches cold, is tens of microseconds, against a few for
the arithmetic of one record. A `MicroBatcher` therefore collects the records of every request
that reaches the prediction step in the same turn of the event loop and predicts them in one
vectorised call, then hands each request its own slice. It never waits for company: the batch
runs as soon as the requests already in hand have joined it, so a lone request pays only one
extra turn of the loop. Predictions do not depend on the batch (`aura.api.predict` computes a
record the same way alone or in a list), so batching changes speed, never answers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

Predict = Callable[[list[Any]], list[Any]]
MAX_BATCH_RECORDS = 1024
"""A batch is run at once when it holds this many records, so the event loop never blocks long
on one batch."""


class MicroBatcher:
    """Coalesces the records of concurrent requests into one call of ``predict``."""

    def __init__(self, predict: Predict, max_records: int = MAX_BATCH_RECORDS) -> None:
        self.predict = predict
        self.max_records = max_records
        self._pending: list[tuple[list[Any], asyncio.Future[list[Any]]]] = []
        self._size = 0
        self._scheduled = False

    async def __call__(self, records: list[Any]) -> list[Any]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[Any]] = loop.create_future()
        self._pending.append((records, future))
        self._size += len(records)
        if self._size >= self.max_records:
            self._flush()
        elif not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._flush)
        return await future

    def _flush(self) -> None:
        pending, self._pending, self._size = self._pending, [], 0
        self._scheduled = False
        if not pending:
            return
        records = [record for batch, _ in pending for record in batch]
        try:
            predictions = self.predict(records)
        except Exception as exc:  # every request of the batch gets the error
            for _, future in pending:
                if not future.done():
                    future.set_exception(exc)
            return
        start = 0
        for batch, future in pending:
            if not future.done():  # a request cancelled meanwhile (client gone) is skipped
                future.set_result(predictions[start : start + len(batch)])
            start += len(batch)
