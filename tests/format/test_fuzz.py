"""Hypothesis: whatever the input, parse_song answers quickly with a Song or a BeepBoxFormatError; and
songs built from random notes survive to_url -> parse_song unchanged."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from beepbrain.format import BeepBoxFormatError, Note, NotePin, Song, new_song, parse_song
from beepbrain.format.base64 import ALPHABET

FUZZ = settings(max_examples=150, deadline=500, suppress_health_check=[HealthCheck.too_slow])
SONG_CHARS = st.sampled_from(ALPHABET + ".%&#{}=?/ é\x00")


def _decide(text: str) -> None:
    try:
        song = parse_song(text)
    except BeepBoxFormatError:
        return
    assert isinstance(song, Song)
    song.to_url()  # whatever decodes must also encode


@pytest.fixture(scope="module")
def real_songs(reference_records):
    return [r["data"] for r in reference_records]


@FUZZ
@given(st.text(max_size=300))
def test_random_text(text):
    _decide(text)


@FUZZ
@given(st.sampled_from("23456789"), st.text(SONG_CHARS, max_size=400))
def test_random_song_strings(version, body):
    _decide(version + body)


@FUZZ
@given(st.data())
def test_truncated_real_songs(real_songs, data):
    text = data.draw(st.sampled_from(real_songs))
    cut = data.draw(st.integers(0, len(text)))
    _decide(text[:cut])


@FUZZ
@given(st.data())
def test_mutated_real_songs(real_songs, data):
    text = list(data.draw(st.sampled_from(real_songs)))
    for _ in range(data.draw(st.integers(1, 6))):
        at = data.draw(st.integers(0, len(text) - 1))
        text[at] = data.draw(SONG_CHARS)
    _decide("".join(text))


@FUZZ
@given(
    st.sampled_from("56789"),
    st.sampled_from("gjip"),
    st.text(st.sampled_from("_-Zz9"), min_size=1, max_size=8),
    st.sampled_from("1234"),
    st.text(st.sampled_from("_-Zz9"), min_size=4, max_size=4),
)
def test_huge_counts(version, tag, digits, length_length, length):
    # huge bar/pattern/instrument counts, and a pattern bit string claiming up to 64**4 characters
    _decide(f"{version}n31s0k0l00e03t2ma7{tag}{digits}p{digits}")
    _decide(f"{version}n31s0k0l00e03t2mafg1_j1_r1i0o432b{digits}p{length_length}{length}{digits}")


def _notes(draw, parts: int, max_pitch: int) -> list[Note]:
    notes = []
    at = 0
    for _ in range(draw(st.integers(0, 4))):
        start = at + draw(st.integers(0, 12))
        if start >= parts:
            break
        end = draw(st.integers(start + 1, min(parts, start + 48)))
        pitches = draw(st.lists(st.integers(0, max_pitch), min_size=1, max_size=4, unique=True))
        times = sorted(draw(st.sets(st.integers(1, end - start - 1), max_size=3))) if end - start > 1 else []
        pins = [NotePin(0, 0, draw(st.integers(0, 3)))]
        for t in [*times, end - start]:
            pins.append(NotePin(draw(st.integers(-6, 6)), t, draw(st.integers(0, 3))))
        notes.append(
            Note(pitches, start, end, pins, continues_last_pattern=start == 0 and draw(st.booleans()))
        )
        at = end
    return notes


@settings(max_examples=60, deadline=1000, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_songs_round_trip(data):
    draw = data.draw
    song = new_song(
        draw(st.integers(1, 4)),
        draw(st.integers(0, 2)),
        bars=draw(st.integers(1, 12)),
        beats_per_bar=draw(st.integers(3, 8)),
        rhythm=draw(st.integers(0, 4)),
        tempo=draw(st.integers(30, 300)),
        scale=draw(st.integers(0, 11)),
        key=draw(st.integers(0, 11)),
        patterns_per_channel=draw(st.integers(1, 4)),
    )
    for index, channel in enumerate(song.channels):
        noise = song.is_noise_channel(index)
        for pattern in channel.patterns:
            pattern.notes = _notes(draw, song.parts_per_bar, 11 if noise else 84)
        channel.bars = [draw(st.integers(0, song.patterns_per_channel)) for _ in range(song.bar_count)]
    url = song.to_url()
    assert parse_song(url) == song
    assert parse_song(url).to_url() == url
