"""The bar clock: where in its bar each token of a pattern stream stands, read by the model beside the token.

Inside a pattern (``NEW`` .. ``END``) the stream's time is the last note start (``POS_p``) plus the last
pin time written after it (``DUR_t``: a time from the note's start; the last pin is the note's end). A
model could work that sum out by attending to both tokens; the clock hands it over, with the parts left
in the bar (the header's ``BEATS`` x 24 minus the time), so that where a pattern ends and where its next
note starts are read off the bar, not guessed (``benchmarks/sampled_bodies.py``: without it, drum patterns
sampled one at a time ended early).

``clock_tables(vocab)`` gives each token id a kind and a value; the model (``GPT``, ``clock_parts`` > 0)
turns a token sequence into clock buckets with them (``model.gpt.clock_buckets``). A vocabulary without
pattern bodies (the tick tokenizer's) gets no tables: its model has no clock.
"""

from __future__ import annotations

import numpy as np

from beepbrain.tokens.pattern_vocab import MAX_PARTS, NEW, PARTS_PER_BEAT, TIE

OTHER, POS, DUR, BODY, START, BEATS = range(6)  # token kinds of the clock tables
CLOCK_PARTS = MAX_PARTS  # the clock's buckets: parts 0..384, the longest bar


def clock_tables(vocab, size: int | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """(kind ``int64[size]``, value ``int64[size]``) per token id of a pattern vocabulary (``size``: the
    model's padded vocabulary, at least the vocabulary's), or None for a vocabulary without ``POS``/``DUR``."""
    has = getattr(vocab, "family_index", {})
    if "POS" not in has or "DUR" not in has:
        return None
    n = len(vocab.family)
    size = max(int(size or n), n)
    kind = np.zeros(size, dtype=np.int64)
    value = np.zeros(size, dtype=np.int64)
    family = np.asarray(vocab.family[:n])
    values = np.asarray(vocab.value[:n], dtype=np.int64)
    for name, what in (("POS", POS), ("DUR", DUR), ("P", BODY), ("D", BODY), ("VOL", BODY), ("BEND", BODY)):
        if name in has:
            at = np.flatnonzero(family == has[name])
            kind[at] = what
            value[at] = values[at] if what in (POS, DUR) else 0
    kind[TIE] = BODY
    kind[NEW] = START  # a pattern starts at part 0
    if "BEATS" in has:
        at = np.flatnonzero(family == has["BEATS"])
        kind[at] = BEATS
        value[at] = values[at] * PARTS_PER_BEAT  # the bar's length in parts
    return kind, value
