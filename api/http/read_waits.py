"""Reads that wait for the read models (`?min_position=`, a command that must see every draw so far) are bounded
per process, so that no number of them can starve the server (issue 13 item 3)."""
from __future__ import annotations

import asyncio
import threading
import time
from contextlib import contextmanager
from typing import Iterator

from api.http.errors import ApiError
from projections.runner import ProjectionRunner


class ReadWaits:
    """At most `limit` waits at once in this process; the next gets 503 with Retry-After at once. A wait holds no
    worker thread (`until`, on the event loop) except in the few sync commands that need it (`within`)."""

    def __init__(self, runner: ProjectionRunner, limit: int, seconds: float) -> None:
        self.runner, self.seconds = runner, seconds
        self._slots = threading.BoundedSemaphore(limit)

    @contextmanager
    def _slot(self) -> Iterator[None]:
        if not self._slots.acquire(blocking=False):
            raise ApiError(503, "too_many_waits", "等待数据同步的请求过多，请稍后重试。", {"retry_after": 1},
                           headers={"Retry-After": "1"})
        try:
            yield
        finally:
            self._slots.release()

    async def until(self, position: int) -> None:
        """Return once every projection has applied `position`; 422 beyond the log's head, 503 after `seconds`."""
        runner = self.runner
        if await asyncio.to_thread(runner.lowest_position) >= position:
            return
        head = await asyncio.to_thread(lambda: runner.app.recorder.max_notification_id() or 0)
        if position > head:
            raise ApiError(422, "min_position_beyond_head",
                           f"最小位置 {position} 超出已记录的最新位置 {head}：请使用命令返回的 position。",
                           {"min_position": position, "head": head})
        with self._slot():
            await asyncio.to_thread(runner.hurry_everywhere)
            deadline, delay = time.monotonic() + self.seconds, 0.005
            while await asyncio.to_thread(runner.lowest_position) < position:
                if time.monotonic() >= deadline:
                    raise behind(position)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 0.05)

    def within(self, position: int | None = None) -> None:
        """The same for a sync command in its worker thread: wait for `position` (default: the log's head)."""
        target = position if position is not None else self.runner.app.recorder.max_notification_id()
        if not target:
            return
        with self._slot():
            if not self.runner.wait_for(target, timeout=self.seconds):
                raise behind(target)


def behind(position: int) -> ApiError:
    return ApiError(503, "read_model_behind", "数据正在同步，请稍后刷新或重试。", {"position": position},
                    headers={"Retry-After": "1"})
