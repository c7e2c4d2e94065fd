"""A bounded queue drained by one background thread that sends items in batches.

The producer (a poll or a log call) only ever does a non-blocking put: when the queue
is full the item is dropped and counted, so a slow or dead backend never slows a poll.
"""

from __future__ import annotations

import queue
import threading
import time
from typing import Callable, Generic, TypeVar

Item = TypeVar("Item")


class BatchSender(Generic[Item]):
    def __init__(self, name: str, send: Callable[[list[Item]], None], *, max_queue: int = 2048,
                 max_batch: int = 256, linger_seconds: float = 1.0) -> None:
        self._send = send
        self._queue: queue.Queue[Item] = queue.Queue(maxsize=max_queue)
        self._max_batch = max_batch
        self._linger = linger_seconds  # how long a batch may wait to fill up before it is sent
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.sent = 0      # items delivered
        self.dropped = 0   # items lost to a full queue or a failed send
        self.failures = 0  # failed sends
        self._thread = threading.Thread(target=self._run, name=f"telemetry-{name}", daemon=True)
        self._thread.start()

    def offer(self, item: Item) -> bool:
        """Enqueue without waiting; False (and counted) when the queue is full or closed."""
        if not self._stop.is_set():
            try:
                self._queue.put_nowait(item)
                return True
            except queue.Full:
                pass
        with self._lock:
            self.dropped += 1
        return False

    def close(self, timeout: float = 5.0) -> None:
        """Stop accepting items, send what is queued, and wait at most `timeout` seconds."""
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            batch = self._take(first_wait=0.2, linger=self._linger)
            if batch:
                self._deliver(batch)
        while batch := self._take(first_wait=0, linger=0):  # final flush on close
            self._deliver(batch)

    def _take(self, first_wait: float, linger: float) -> list[Item]:
        """Up to max_batch items: wait `first_wait` for the first, then `linger` for more."""
        try:
            batch = [self._queue.get(timeout=first_wait) if first_wait > 0 else self._queue.get_nowait()]
        except queue.Empty:
            return []
        deadline = time.monotonic() + linger
        while len(batch) < self._max_batch:
            wait = 0.0 if self._stop.is_set() else deadline - time.monotonic()
            try:
                batch.append(self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait())
            except queue.Empty:
                if wait <= 0:
                    break
        return batch

    def _deliver(self, batch: list[Item]) -> None:
        try:
            self._send(batch)
        except Exception:  # the backend is optional: count the loss and keep going
            with self._lock:
                self.failures += 1
                self.dropped += len(batch)
            return
        with self._lock:
            self.sent += len(batch)
