"""Settings shared by the emulator's lifecycle extensions.

AWS resources do not reach their final state at once: an ECS deployment rolls out, a load balancer
is ``provisioning`` before it is ``active``, a DB instance is ``creating``. The extensions model
these lifecycles lazily: a resource records when a transition started, and every read computes the
state from the time passed since then. No threads, no timers.

``STACKWRIGHT_EMULATOR_DELAY`` (seconds, a float; default 2.0) is how long such a transition
takes. ``0`` turns lifecycles off: every resource is in its final state as soon as it is created or
changed. A negative value counts as 0; a value that is no number counts as the default (with a
warning on stderr). The variable is read on every call; a lifecycle reads it when it starts.
"""

import os
import sys
import time

ENV = "STACKWRIGHT_EMULATOR_DELAY"
DEFAULT_DELAY = 2.0


def delay() -> float:
    """The lifecycle delay in seconds (never negative); 0 means lifecycles are off."""
    raw = os.environ.get(ENV, "").strip()
    if not raw:
        return DEFAULT_DELAY
    try:
        value = float(raw)
    except ValueError:
        _warn_once(raw)
        return DEFAULT_DELAY
    return value if value > 0 else 0.0


_warned = set()


def _warn_once(raw):
    if raw not in _warned:
        _warned.add(raw)
        print(f"stackwright-emulator: {ENV}={raw!r} is no number; using {DEFAULT_DELAY}", file=sys.stderr)


def now() -> float:
    """The clock the lifecycles use (monotonic, in seconds)."""
    return time.monotonic()


def elapsed_fraction(started_at: float, seconds: float) -> float:
    """How far a transition that started at ``started_at`` (a :func:`now` value) and takes
    ``seconds`` has come, from 0.0 to 1.0. A transition of 0 seconds or less is complete."""
    if seconds <= 0:
        return 1.0
    return max(0.0, min(1.0, (now() - started_at) / seconds))


def is_done(started_at: float, seconds: float = None) -> bool:
    """Whether a transition that started at ``started_at`` and takes ``seconds`` (default:
    :func:`delay`) has finished."""
    if seconds is None:
        seconds = delay()
    return elapsed_fraction(started_at, seconds) >= 1.0


def install():
    """Nothing to patch: the other modules read the setting through :func:`delay`."""
