"""Polling with a deadline, for the tests that watch a lifecycle pass through its states."""

import time


def statuses_until(read, final, seconds=10.0):
    """Polls ``read()`` until it returns ``final``; returns the distinct values seen, in order."""
    seen = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = read()
        if not seen or seen[-1] != value:
            seen.append(value)
        if value == final:
            return seen
        time.sleep(0.05)
    raise AssertionError(f"never reached {final}: {seen}")
