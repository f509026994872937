"""`SessionPool`: compiled sessions kept for reuse, each lent to one caller at a time.

Compiling a model is the expensive step (libRoadRunner's LLVM JIT: seconds for the human
model); a session is mutable (state, clock, input rates, parameter values). So an engine keeps
idle sessions per key and lends one to a caller for the whole of one simulation: two callers
at the same time (threads) always hold two different sessions, and the second one is compiled
when no idle one is left. The pool holds at most as many sessions per key as there were
callers at once, for the ``max_models`` keys used most recently.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

from trdlab.errors import TrdlabError

S = TypeVar("S")


class SessionPool(Generic[S]):
    """Idle sessions by key; a lent session is never handed to a second caller.

    Args:
        max_models: keys (compiled model variants) kept; the least recently used one beyond
            that is dropped with all its idle sessions.
    """

    def __init__(self, max_models: int = 16) -> None:
        if max_models < 1:
            raise ValueError(f"max_models={max_models!r}: keep at least one model")
        self.max_models = max_models
        self._idle: OrderedDict[Hashable, list[S]] = OrderedDict()
        self._lock = threading.Lock()

    @contextmanager
    def lend(self, key: Hashable, build: Callable[[], S]) -> Iterator[S]:
        """Lend an idle session for ``key`` (or ``build()`` a new one) until the block ends.

        The session comes back to the pool when the block ends normally or with a trdlab error
        (the next ``start`` resets it fully); after any other exception it may be half-updated
        and is dropped.
        """
        session = self._take(key)
        if session is None:
            session = build()  # outside the lock: other callers go on while this one compiles
        try:
            yield session
        except TrdlabError:
            self._give_back(key, session)
            raise
        else:
            self._give_back(key, session)

    def idle(self, key: Hashable) -> int:
        """Number of idle sessions held for ``key``."""
        with self._lock:
            return len(self._idle.get(key, ()))

    def _take(self, key: Hashable) -> S | None:
        with self._lock:
            sessions = self._idle.get(key)
            if not sessions:
                return None
            self._idle.move_to_end(key)
            return sessions.pop()

    def _give_back(self, key: Hashable, session: S) -> None:
        with self._lock:
            self._idle.setdefault(key, []).append(session)
            self._idle.move_to_end(key)
            while len(self._idle) > self.max_models:
                self._idle.popitem(last=False)
