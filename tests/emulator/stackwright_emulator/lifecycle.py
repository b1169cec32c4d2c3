"""Status walks: the lazily evaluated lifecycles of the rds, elasticache, ec2 and efs extensions.

AWS resources pass through transitional states (``creating``, ``modifying``, ``deleting``) before
they rest. A :class:`Walk` is one such passage: a sequence of transitional statuses, each lasting
:func:`~.settings.delay` seconds, and an action run once when the last step is over (apply the
modified values, remove a deleted resource). The delay is read whenever a walk is evaluated, as the
other lifecycle extensions do, so a test may raise it to watch a transition and drop it to 0 to see
the transition's end without sleeping.

Nothing runs in the background. :func:`settle` brings every walk up to date; the extensions call it
when a request for their service arrives, before moto handles the request, so one response shows
one consistent moment: a status never says ``available`` while the values it waited for are still
old. With a delay of 0 a walk finishes the moment it is settled, which the extensions do right after
starting it, so the call that starts a lifecycle already answers with the final state.

Not an extension: there is nothing to install.
"""

import threading

from .settings import delay, now

_lock = threading.RLock()
_live: set["Walk"] = set()


class Walk:
    """A resource passing through ``steps`` (status names), ``delay()`` seconds each, then
    ``on_done()`` once. ``status`` is the step it was in when last settled. ``step_seconds``
    fixes the step length instead of reading ``delay()``."""

    def __init__(self, steps, on_done=None, step_seconds=None):
        self.steps = tuple(steps)
        self.on_done = on_done
        self.step_seconds = step_seconds
        self.started = now()
        self.finished = False
        self.status = self.steps[0] if self.steps else None
        with _lock:
            _live.add(self)

    def _position(self) -> int:
        seconds = delay() if self.step_seconds is None else self.step_seconds
        if seconds <= 0:
            return len(self.steps)
        return int((now() - self.started) // seconds)

    def settle(self) -> bool:
        """Bring the walk up to date; run ``on_done`` when the last step is over. True if finished."""
        with _lock:
            if self.finished:
                return True
            position = self._position()
            if position < len(self.steps):
                self.status = self.steps[position]
                return False
            self.finished = True
            _live.discard(self)
        if self.on_done is not None:
            self.on_done()
        return True

    def cancel(self) -> None:
        """Abandon the walk: it stops counting as a status and ``on_done`` never runs."""
        with _lock:
            self.finished = True
            self.on_done = None
            _live.discard(self)

    def finish_now(self) -> None:
        """Skip the remaining steps (test control); ``on_done`` runs at the next settle."""
        self.step_seconds = 0.0


def settle() -> None:
    """Settle every walk in progress, in every account and region."""
    with _lock:
        walks = sorted(_live, key=lambda w: w.started)
    for walk in walks:
        walk.settle()


def finish_all() -> int:
    """Finish every walk in progress now (test control). Returns how many there were."""
    with _lock:
        walks = list(_live)
    for walk in walks:
        walk.finish_now()
    settle()
    return len(walks)


def in_progress() -> int:
    with _lock:
        return len(_live)


def settle_before(response_class) -> None:
    """Make every request that ``response_class`` (a moto ``BaseResponse``) handles settle the walks
    first. Patches ``call_action``, moto's single entry from the HTTP request to the operation."""
    original = response_class.call_action
    if getattr(original, "_stackwright_settles", False):
        return

    def call_action(self):
        settle()
        return original(self)

    call_action._stackwright_settles = True
    response_class.call_action = call_action


def start(resource, steps, on_done=None) -> Walk:
    """Start a walk for ``resource`` (replacing one in progress) and settle it once, so that with a
    delay of 0 it is already over when this returns."""
    previous = resource.__dict__.get("_sw_walk")
    if previous is not None:
        previous.cancel()
    walk = Walk(steps, on_done)
    resource.__dict__["_sw_walk"] = walk
    walk.settle()
    return walk


def walking(resource) -> bool:
    """Whether ``resource`` is in a walk that has not finished."""
    walk = resource.__dict__.get("_sw_walk")
    return walk is not None and not walk.finished


def status_property(stored: str):
    """A class property for a moto model's status attribute: while a walk is in progress it reads
    the walk's step, otherwise the value last assigned (stored under ``stored``). moto's own
    assignments (``self.status = "available"`` in ``__init__``) keep working through the setter."""

    def get(self):
        walk = self.__dict__.get("_sw_walk")
        if walk is not None and not walk.finished:
            return walk.status
        return self.__dict__.get(stored)

    def set_(self, value):
        self.__dict__[stored] = value

    return property(get, set_)
