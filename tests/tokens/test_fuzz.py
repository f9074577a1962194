"""Property tests: random songs round-trip with exact loss accounting; any stream decodes to a valid song."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
from token_helpers import Note, make_song, note_set  # noqa: E402

from beepbrain.format import NotePin, parse_song  # noqa: E402
from beepbrain.tokens import Conditioning, TickTokenizer  # noqa: E402

TOKENIZER = TickTokenizer()


@st.composite
def songs(draw):
    pitch = draw(st.integers(1, 4))
    noise = draw(st.integers(0, 2))
    beats = draw(st.integers(3, 6))
    bars = draw(st.integers(1, 3))
    parts = beats * 24
    notes = {}
    for c in range(pitch + noise):
        top = 11 if c >= pitch else 84
        placed = []
        for b in range(bars):
            t = draw(st.integers(0, 6))
            while t < parts and draw(st.booleans()):
                length = draw(st.integers(1, 30))
                end = min(t + length, parts)
                root = draw(st.integers(0, top + 2))  # now and then out of range
                extra = draw(st.lists(st.integers(1, 14), max_size=3, unique=True))
                note = Note.simple([root] + [root + i for i in extra], t, end, size=draw(st.integers(1, 3)))
                if draw(st.integers(0, 5)) == 0:
                    note.pins = [NotePin(0, 0, 3), NotePin(draw(st.integers(-2, 2)), end - t, 3)]
                placed.append((b, note))
                t = end + draw(st.integers(0, 5))
        notes[c] = placed
    return make_song(
        pitch, noise, bars=bars, beats_per_bar=beats, rhythm=draw(st.integers(0, 4)), notes=notes
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(songs())
def test_random_songs_round_trip(song):
    enc = TOKENIZER.encode(song)
    dec = TOKENIZER.decode(enc.tokens, enc.conditioning)
    assert note_set(parse_song(dec.to_url())) == note_set(dec)
    original, got = note_set(song), note_set(dec)  # trimmed bars hold only dropped notes
    losses = enc.losses
    assert sum(original.values()) == losses["notes"]
    assert sum(got.values()) == losses["notes_kept"]
    assert sum((original & got).values()) == losses["notes_exact"]
    assert TOKENIZER.encode(dec).tokens.tolist() == enc.tokens.tolist()


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(0, TOKENIZER.vocab_size + 5), max_size=1500), st.integers(1, 10), st.integers(0, 5)
)
def test_any_stream_decodes(tokens, pitch, noise):
    song = TOKENIZER.decode(np.array(tokens, dtype=np.int64), Conditioning(1, pitch, noise))
    again = parse_song(song.to_url())
    assert again.pitch_channel_count == pitch and again.noise_channel_count == noise
