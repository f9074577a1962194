"""Named points where a test can have this process killed (SIGKILL, no clean-up), to prove that a crash
at that moment loses nothing: ``BEEPBRAIN_CRASH_AT=ingest.before-publish beepbrain ingest ...``.

Unset (always, outside tests), ``crash_point`` is one dictionary lookup. ``BEEPBRAIN_CRASH_AT`` may list
several names separated by commas; the points are named where they are called (``ingest.*``, ``train.*``).
"""

from __future__ import annotations

import os
import signal

ENV = "BEEPBRAIN_CRASH_AT"


def crash_point(name: str) -> None:
    """Kill this process with SIGKILL if ``name`` is one of the points listed in $BEEPBRAIN_CRASH_AT."""
    wanted = os.environ.get(ENV)
    if wanted and name in wanted.split(","):
        os.kill(os.getpid(), signal.SIGKILL)
