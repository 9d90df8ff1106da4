"""How many sessions the visual server keeps, and for how long.

Each page a browser opens is a Solara session (a virtual kernel) with its own model. A page that
closes normally ends its session at once; one whose connection drops (a killed browser, a sleeping
laptop, a script) leaves it for Solara's cull timeout, 24 h by default: 50 such sessions took the
server from 271 MB to 1.08 GB (issue 19). `limit_sessions` bounds them three ways:

- an idle timeout: a session without a connected page ends after `idle_timeout` seconds
  (Solara's ``kernel.cull_timeout``);
- a cap: at most `max_sessions` pages connect at once (Solara's ``kernel.max_count``; one more
  waits for a free place), and a new session first ends the oldest idle ones beyond the cap;
- memory given back: a few seconds after sessions end, a full garbage collection, matplotlib's
  fonts of ended threads dropped and, on glibc, ``malloc_trim``, so that the freed models leave
  the process's memory and not only Python's.

An ended session's model is freed only because `vizmodel` lifts Mesa 3.3's hold on every model.
"""

from __future__ import annotations

import gc
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterable

#: Defaults of `innosim viz --idle-timeout` and `--max-sessions`.
DEFAULT_IDLE_TIMEOUT = 120.0  # seconds: a dropped connection that comes back within it keeps its run
DEFAULT_MAX_SESSIONS = 20  # ~15 MB each at the page's default scale (0.1), more at a larger one
#: Seconds between the end of a session and giving its memory back: after Solara's own collection
#: (1 s after a close), once for a burst of ending sessions.
RELEASE_DELAY = 2.0
#: Seconds a new session waits at most for a session that Solara is closing to end.
CLOSING_WAIT = 10.0

logger = logging.getLogger(__name__)
_limits: dict[str, int] = {}  # max_sessions, once limit_sessions has run
_ended = threading.Event()


def limit_sessions(idle_timeout: float = DEFAULT_IDLE_TIMEOUT, max_sessions: int = DEFAULT_MAX_SESSIONS) -> None:
    """Bound the server's sessions: call once, in the server's process, before it serves."""
    if idle_timeout <= 0 or max_sessions < 1:
        raise ValueError(f"idle_timeout must be > 0 and max_sessions >= 1, not {idle_timeout}, {max_sessions}")
    import solara.lifecycle
    import solara.server.settings as settings

    settings.kernel.cull_timeout = f"{idle_timeout:g}s"
    # the limiter of Solara's websocket threads, made on the first connection from this setting
    settings.kernel.max_count = max_sessions
    if not _limits:
        solara.lifecycle.on_kernel_start(_session_started)
        threading.Thread(target=_give_memory_back_after_sessions_end, name="innosim-viz-release",
                         daemon=True).start()
    _limits["max_sessions"] = max_sessions


def _session_started() -> Callable[[], None]:
    """Solara calls this in each new session: make room for it; its end wakes the memory release."""
    from solara.server import kernel_context

    new = kernel_context.get_current_context()
    others = [c for c in list(kernel_context.contexts.values()) if c is not new]
    max_sessions = _limits["max_sessions"]
    for context in oldest_idle_beyond(others, max_sessions):
        logger.info("ending idle session %s to make room for a new one", context.id)
        context.close()
    live = [c for c in others if not c.closed_event.is_set()]
    if len(live) >= max_sessions:  # still full: sessions that Solara is closing (culls) end first
        for context in live:
            if getattr(context, "_teardown_done", False):
                context.closed_event.wait(CLOSING_WAIT)
    return _ended.set


def oldest_idle_beyond(contexts: Iterable, max_sessions: int) -> list:
    """The sessions to end so that a new one keeps the count at `max_sessions`: the oldest
    (first created; Solara keeps them in that order) among those without a connected page.

    Connected sessions stay: Solara's limit on connections (set to the same cap) already keeps
    them below it."""
    from solara.server.kernel_context import PageStatus

    live = [c for c in contexts if not c.closed_event.is_set()]
    excess = len(live) + 1 - max_sessions
    if excess <= 0:
        return []
    # one that Solara has begun to close (its cull, say) still counts until the close ends, but is
    # not closed twice
    idle = [c for c in live if PageStatus.CONNECTED not in c.page_status.values()
            and not getattr(c, "_teardown_done", False)]
    return idle[:excess]


def _give_memory_back_after_sessions_end() -> None:
    while True:
        _ended.wait()
        _ended.clear()  # a session ending from now on brings another round
        time.sleep(RELEASE_DELAY)
        give_memory_back()


def give_memory_back() -> None:
    """Free what ended sessions left (their models are reference cycles) and hand the freed pages
    back to the system: glibc keeps freed memory for reuse, so without a trim the server's size
    stays at its peak after the sessions are gone."""
    _forget_fonts_of_ended_threads()
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def _forget_fonts_of_ended_threads() -> None:
    """Matplotlib keeps each thread's fonts (its `_get_font` cache is keyed by thread, up to 64
    entries of a few MB with the Chinese font); the server draws in a thread per connection, so
    the threads of ended sessions leave theirs. A drawing thread loads its fonts again."""
    from matplotlib import font_manager

    cache_clear = getattr(getattr(font_manager, "_get_font", None), "cache_clear", None)
    if cache_clear is not None:
        cache_clear()


def _malloc_trim():
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        return ctypes.CDLL(None).malloc_trim  # glibc; musl has none
    except (OSError, AttributeError):
        return None
