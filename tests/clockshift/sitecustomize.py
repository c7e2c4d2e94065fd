"""Python children of a test run under faketime load this (tools.clock_variables puts it on PYTHONPATH).

Debian's libfaketime 0.9.10 cannot shift Python 3.11's clock whole: when it fakes the monotonic clock,
timed lock waits never end (sem_clockwait is not intercepted: wolfcw/libfaketime#390), so threads that
wait with a timeout (APScheduler, queue.get) hang; when it leaves that clock real, time.sleep fails with
EINVAL (clock_nanosleep with TIMER_ABSTIME gets a negative time: wolfcw/libfaketime#426). Children run
with the real monotonic clock, a shifted wall clock, and this sleep, which waits on select: its timeout
is relative, so no clock is converted.
"""

import select
import time


def _sleep(seconds: float) -> None:
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        select.select([], [], [], left)


time.sleep = _sleep
