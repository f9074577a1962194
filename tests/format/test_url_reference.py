"""The URL codec against BeepBox's own decoder: every reference song re-encodes to BeepBox's own
version-9 string, holds the same music as BeepBox's JSON export, survives its own round trip, and every
song BeepBox rejects is rejected here."""

from __future__ import annotations

import pytest

from beepbrain.format import BeepBoxFormatError, parse_song
from beepbrain.format import config as c


@pytest.fixture(scope="module")
def ok_records(reference_records):
    return [r for r in reference_records if r["ok"]]


@pytest.fixture(scope="module")
def reject_records(reference_records):
    return [r for r in reference_records if not r["ok"]]


def test_corpus_has_every_old_version(reference_records):
    versions = {r["data"][0] for r in reference_records}
    assert {"2", "3", "5", "6", "7", "8", "9"} <= versions


def test_url_v9_matches_beepbox_for_whole_corpus(ok_records):
    mismatched = [r["data"][:40] for r in ok_records if parse_song(r["data"]).to_url() != r["url_v9"]]
    matched = len(ok_records) - len(mismatched)
    pct = 100.0 * matched / len(ok_records)
    print(f"\nURL v9 match: {matched}/{len(ok_records)} = {pct:.1f}%")
    assert not mismatched, f"{len(mismatched)} songs re-encode differently, e.g. {mismatched[:3]}"


def test_every_beepbox_reject_is_rejected(reject_records):
    assert reject_records, "the corpus should hold songs BeepBox rejects"
    for record in reject_records:
        with pytest.raises(BeepBoxFormatError) as caught:
            parse_song(record["data"])
        # the error names where in the string decoding failed
        assert caught.value.position is not None and 0 <= caught.value.position < len(record["data"])
        assert f"at character {caught.value.position}" in str(caught.value)


def test_round_trip_through_own_url(ok_records):
    for record in ok_records:
        song = parse_song(record["data"])
        again = parse_song(song.to_url())
        assert again == song, record["data"][:40]


def test_beepbox_v9_strings_decode_to_themselves(ok_records):
    for record in ok_records:
        assert parse_song(record["url_v9"]).to_url() == record["url_v9"]


def _points(song, note):
    steps = c.RHYTHM_STEPS_PER_BEAT[song.rhythm]
    return [
        {
            "tick": (pin.time + note.start) * steps / c.PARTS_PER_BEAT,
            "pitchBend": pin.interval,
            "volume": c.js_round(pin.size * 100 / 3),
        }
        for pin in note.pins
    ]


def test_musical_content_matches_beepbox_json(ok_records):
    for record in ok_records:
        song = parse_song(record["data"])
        ref = record["json"]
        assert c.SCALE_NAMES[song.scale] == ref["scale"]
        assert c.KEY_NAMES[song.key] == ref["key"]
        assert song.tempo == ref["beatsPerMinute"]
        assert song.beats_per_bar == ref["beatsPerBar"]
        assert c.RHYTHM_STEPS_PER_BEAT[song.rhythm] == ref["ticksPerBeat"]
        assert song.loop_start == ref["introBars"]
        assert song.loop_length == ref["loopBars"]
        assert song.layered_instruments == ref["layeredInstruments"]
        assert song.pattern_instruments == ref["patternInstruments"]
        assert len(song.channels) == len(ref["channels"])
        for index, (channel, ref_channel) in enumerate(zip(song.channels, ref["channels"], strict=True)):
            assert ref_channel["type"] == ("drum" if song.is_noise_channel(index) else "pitch")
            if ref_channel["type"] == "pitch":
                assert channel.octave - 1 == ref_channel["octaveScrollBar"]
            if song.loop_start + song.loop_length <= song.bar_count:
                assert channel.bars == ref_channel["sequence"]
            assert [c.INSTRUMENT_TYPE_NAMES[i.type] for i in channel.instruments] == [
                i["type"] for i in ref_channel["instruments"]
            ]
            assert [(5 - i.volume) * 20 for i in channel.instruments] == [
                i["volume"] for i in ref_channel["instruments"]
            ]
            assert len(channel.patterns) == len(ref_channel["patterns"])
            for pattern, ref_pattern in zip(channel.patterns, ref_channel["patterns"], strict=True):
                assert len(pattern.notes) == len(ref_pattern["notes"])
                if song.pattern_instruments:
                    assert [i + 1 for i in pattern.instruments] == ref_pattern["instruments"]
                for note, ref_note in zip(pattern.notes, ref_pattern["notes"], strict=True):
                    assert note.pitches == ref_note["pitches"]
                    assert _points(song, note) == ref_note["points"]
                    if note.start == 0:
                        assert note.continues_last_pattern == ref_note["continuesLastPattern"]
