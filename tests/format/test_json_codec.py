"""The BeepBox JSON codec: BeepBox's own exports are a fixed point, JavaScript number semantics, the legacy
and loose inputs BeepBox's reader accepts, and clear errors for structures it cannot walk."""

from __future__ import annotations

import copy
import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from beepbrain.format import BeepBoxFormatError, Song, new_song, parse_song
from beepbrain.format import config as c
from beepbrain.format.json_codec import (
    clamp,
    instrument_from_json,
    instrument_to_json,
    js_int32,
    js_number,
    js_round,
    js_uint32,
    num,
    song_from_json,
    song_to_json,
)


def _dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False)


def _as_json_reader_gives_it(song_json: dict) -> dict:
    """BeepBox's JSON reader keeps a note's repeated pitch once and drops a point between two that share
    its bend and volume (BeepBox's URL decoder keeps both; the music is the same)."""
    out = copy.deepcopy(song_json)
    for channel in out["channels"]:
        for pattern in channel["patterns"]:
            for note in pattern["notes"]:
                note["pitches"] = list(dict.fromkeys(note["pitches"]))
                points = note["points"]
                k = 2
                while k < len(points):
                    a, b, c_ = points[k - 2], points[k - 1], points[k]
                    if (
                        (a["pitchBend"], a["volume"])
                        == (b["pitchBend"], b["volume"])
                        == (c_["pitchBend"], c_["volume"])
                    ):
                        del points[k - 1]
                    else:
                        k += 1
    return out


# ---------------------------------------------------------------------------------------------------------
# BeepBox's exports


def test_beepbox_exports_are_a_fixed_point(reference_records):
    """from_json then to_json gives back BeepBox's export exactly: keys, key order, numbers as written."""
    checked = 0
    for record in reference_records:
        if not record["ok"]:
            continue
        ref = record["json"]
        assert _dumps(song_to_json(song_from_json(ref))) == _dumps(_as_json_reader_gives_it(ref)), record[
            "data"
        ][:40]
        checked += 1
    assert checked >= 150


def test_fixed_point_covers_every_instrument_type_and_effect(reference_records):
    """The fixed point above means something: the reference exercises every type and most effects."""
    types, effects = set(), set()
    for record in reference_records:
        for channel in record.get("json", {}).get("channels", []):
            for inst in channel["instruments"]:
                types.add(inst["type"])
                effects.update(inst["effects"])
    assert {"chip", "FM", "noise", "spectrum", "drumset", "harmonics", "PWM"} <= types
    assert {"reverb", "chord type", "vibrato", "note filter", "transition type"} <= effects


def test_export_key_order_and_number_forms():
    song = new_song(2, 1, bars=4)
    song.channels[0].patterns[0].notes.append(
        __import__("beepbrain.format.song", fromlist=["Note"]).Note.simple(48, 0, 12, size=2)
    )
    obj = song_to_json(song)
    assert list(obj) == [
        "format",
        "version",
        "scale",
        "key",
        "introBars",
        "loopBars",
        "beatsPerBar",
        "ticksPerBeat",
        "beatsPerMinute",
        "layeredInstruments",
        "patternInstruments",
        "channels",
    ]
    assert list(obj["channels"][0]) == ["type", "instruments", "patterns", "sequence", "octaveScrollBar"]
    assert list(obj["channels"][2]) == ["type", "instruments", "patterns", "sequence"]  # drums: no octave
    note = obj["channels"][0]["patterns"][0]["notes"][0]
    assert note == {
        "pitches": [48],
        "points": [{"tick": 0, "pitchBend": 0, "volume": 67}, {"tick": 2, "pitchBend": 0, "volume": 67}],
        "continuesLastPattern": False,
    }
    # ticks are ints where whole (JSON.stringify writes 2, not 2.0)
    assert '"tick": 2}' in _dumps(note) or '"tick": 2,' in _dumps(note)


def test_ticks_keep_fractions_in_coarse_rhythms():
    song = new_song(1, 0, bars=1, rhythm=0)  # triplets: 3 steps per beat
    from beepbrain.format.song import Note

    song.channels[0].patterns[0].notes.append(Note.simple(40, 4, 12))
    points = song_to_json(song)["channels"][0]["patterns"][0]["notes"][0]["points"]
    assert [p["tick"] for p in points] == [0.5, 1.5]
    assert "continuesLastPattern" not in song_to_json(song)["channels"][0]["patterns"][0]["notes"][0]


# ---------------------------------------------------------------------------------------------------------
# JavaScript semantics


def test_js_round_rounds_halves_up_unlike_python():
    assert js_round(2.5) == 3 and round(2.5) == 2
    assert js_round(-2.5) == -2
    assert js_round(0.49999999999999994) == 0  # floor(x + 0.5) would give 1
    assert js_round(-0.6) == -1
    assert math.isnan(js_round(float("nan")))


def test_js_integer_conversions():
    assert js_int32("12") == 12 and js_int32(" 7\n") == 7 and js_int32("0x10") == 16
    assert js_int32("12abc") == 0 and js_int32("inf") == 0 and js_int32("Infinity") == 0
    assert js_int32(None) == 0 and js_int32(True) == 1 and js_int32([5]) == 5 and js_int32([1, 2]) == 0
    assert js_int32(-1.9) == -1 and js_int32(2**32 + 3) == 3 and js_int32(2**31) == -(2**31)
    assert js_uint32(-1) == 2**32 - 1
    assert math.isnan(js_number({})) and js_number("") == 0.0 and js_number("1e3") == 1000.0
    assert js_int32(10**400) == 0 and js_number(-(10**400)) == -math.inf  # Infinity, as JSON.parse reads it


def test_clamp_is_beepboxs():
    assert clamp(0, 10, 12) == 9  # max is exclusive
    assert clamp(0, 10, -3) == 0
    assert clamp(0, 10, float("nan")) == 9  # NaN reads as the top, as in JavaScript


def test_num_writes_whole_floats_as_ints():
    assert num(16000.0) == 16000 and isinstance(num(16000.0), int)
    assert num(0.3536) == 0.3536


def test_derived_figures_round_like_beepbox():
    """A filter point at each setting: cutoff to 2 decimals, gain to 4, the way BeepBox rounds them."""
    from beepbrain.format.song import FilterControlPoint

    inst = instrument_from_json({"type": "chip"}, False)
    inst.eq_filter = [
        FilterControlPoint(28, 7, c.FILTER_LOW_PASS),
        FilterControlPoint(0, 0, c.FILTER_PEAK),
        FilterControlPoint(33, 14, c.FILTER_HIGH_PASS),
    ]
    out = instrument_to_json(inst)["eqFilter"]
    assert out == [
        {"type": "low-pass", "cutoffHz": 8000, "linearGain": 1},
        {"type": "peak", "cutoffHz": 62.5, "linearGain": 0.0884},
        {"type": "high-pass", "cutoffHz": 19027.31, "linearGain": 11.3137},
    ]
    assert isinstance(out[0]["cutoffHz"], int) and isinstance(out[0]["linearGain"], int)


# ---------------------------------------------------------------------------------------------------------
# Loose and legacy input, read as BeepBox reads it


def test_legacy_song_fields_and_note_cleanup():
    song = song_from_json(
        {
            "scale": "romani :(",
            "key": "Db",
            "beatsPerMinute": "500",
            "beatsPerBar": 2,
            "ticksPerBeat": 12,
            "reverb": 2,
            "introBars": 1,
            "loopBars": 10,
            "channels": [
                {
                    "octaveScrollBar": 2,
                    "instruments": [{"type": "chip"}],
                    "sequence": [1, 0, 5],
                    "patterns": [
                        {
                            "notes": [
                                {
                                    "pitches": [60, 60, 200, 61, 62, 63, 64],
                                    "points": [{"tick": 0}, {"tick": 6, "pitchBend": 2, "volume": 50}],
                                }
                            ]
                        }
                    ],
                },
                {"type": "pitch"},
                {"type": "pitch"},
                {"octaveScrollBar": 3, "patterns": [], "sequence": [0, 0, 0]},  # 4th untyped channel: drums
            ],
        }
    )
    assert c.SCALE_NAMES[song.scale] == "double harmonic :("
    assert c.KEY_NAMES[song.key] == "C♯"
    assert song.tempo == 300 and song.beats_per_bar == 3 and song.rhythm == 1
    assert (song.bar_count, song.patterns_per_channel, song.loop_start, song.loop_length) == (3, 1, 1, 2)
    assert (song.pitch_channel_count, song.noise_channel_count) == (3, 1)
    first = song.channels[0]
    assert first.octave == 3 and first.bars == [1, 0, 1]
    (note,) = first.patterns[0].notes
    # repeats dropped, four pitches at most, out-of-range pitch removed; 12 ticks/beat -> 24 parts/beat
    assert note.pitches == [60, 61, 62] and (note.start, note.end) == (0, 12)
    assert [(p.interval, p.time, p.size) for p in note.pins] == [(0, 0, 3), (2, 12, 2)]
    inst = first.instruments[0]
    assert inst.reverb == 2 and inst.effects & (1 << c.EFFECT_REVERB)  # song-wide reverb of old songs
    assert inst.chip_wave == 1  # BeepBox reads a chip without a wave as a triangle
    assert len(inst.eq_filter) == 1 and inst.eq_filter[0].type == c.FILTER_LOW_PASS  # legacy cutoff converted
    assert song.channels[3].octave == 0 and song.channels[3].instruments[0].type == c.NOISE


@pytest.mark.parametrize(
    ("key", "expected"),
    [("Db", 1), ("c#", 1), ("A♯", 10), ("Cb", 11), (13, 1), (-1, 11), (3.7, 3), ("H", 0), (None, 0)],
)
def test_key_forms(key, expected):
    assert song_from_json({"key": key, "channels": [{}]}).key == expected


def test_missing_scale_is_expert():
    assert c.SCALE_NAMES[song_from_json({"channels": [{}]}).scale] == "expert"


def test_legacy_instrument_names():
    inst = instrument_from_json(
        {
            "type": "chip",
            "wave": "pulse wide",
            "transition": "soft fade",
            "chorus": "custom harmony",
            "effect": "vibrato heavy",
            "volume": 60,
            "effects": "chorus & reverb",
        },
        False,
        0,
    )
    assert inst.chip_wave == 3 and inst.volume == 2
    assert (inst.fade_in, inst.fade_out) == (4, 10)  # "soft fade": 0.06 s in, 96 ticks out
    assert c.UNISON_NAMES[inst.unison] == "hum" and c.CHORD_NAMES[inst.chord] == "custom interval"
    # BeepBox looks legacy vibrato names up with the unison property, so "vibrato heavy" enables the
    # vibrato effect at "none"; no song-wide reverb drops the reverb effect
    assert inst.vibrato == 0
    assert inst.effects == (1 << c.EFFECT_CHORUS) | (1 << c.EFFECT_CHORD) | (1 << c.EFFECT_VIBRATO)
    out = instrument_to_json(inst)
    assert out["effects"] == ["chord type", "vibrato", "chorus"]
    assert (out["fadeInSeconds"], out["fadeOutTicks"], out["wave"]) == (0.0575, 96, "1/4 pulse")


def test_legacy_filter_with_envelope_becomes_note_filter():
    inst = instrument_from_json({"type": "chip", "filter": "decay soft"}, False)
    assert inst.effects & (1 << c.EFFECT_NOTE_FILTER) and inst.note_filter and not inst.eq_filter
    assert [(e.target, e.envelope) for e in inst.envelopes] == [
        (c.AUTOMATION_TARGET_INDEX["noteFilterAllFreqs"], c.ENVELOPE_INDEX["decay 3"])
    ]


def test_fm_names_use_beepboxs_spaces():
    obj = {
        "type": "FM",
        "eqFilter": [],
        "algorithm": "1\u20032\u2190(3\u20024)",
        "feedbackType": "1⟲\u20032⟲",
        "operators": [{"frequency": "2×", "amplitude": 99}],
    }
    inst = instrument_from_json(obj, False)
    assert (inst.algorithm, inst.feedback_type) == (6, 4)
    assert inst.operators[0].frequency == 2 and inst.operators[0].amplitude == c.OPERATOR_AMPLITUDE_MAX
    out = instrument_to_json(inst)
    assert out["algorithm"] == obj["algorithm"] and out["feedbackType"] == obj["feedbackType"]


def test_notes_out_of_order_or_malformed_are_skipped():
    notes = [
        {"pitches": [30], "points": [{"tick": 4}, {"tick": 8}]},
        {"pitches": [31], "points": [{"tick": 2}, {"tick": 6}]},  # starts before the last one ended
        {"pitches": [], "points": [{"tick": 8}, {"tick": 9}]},
        {"pitches": [32], "points": [{"tick": 9}]},  # one point
        "not a note",
        {
            "pitches": [33],
            "points": [{"tick": 10}, {"tick": 10}, {"tick": "nan"}, {"tick": 12}],
            "continuesLastPattern": True,
        },
    ]
    song = song_from_json(
        {
            "channels": [
                {"type": "pitch", "instruments": [{}], "patterns": [{"notes": notes}], "sequence": [1]}
            ]
        }
    )
    got = song.channels[0].patterns[0].notes
    assert [(n.pitches, n.start, n.end) for n in got] == [([30], 24, 48), ([33], 60, 72)]
    assert not got[1].continues_last_pattern  # only a note at the pattern's start continues


def test_from_json_makes_the_same_song_as_the_url(reference_records):
    record = next(r for r in reference_records if r["ok"] and r["data"].startswith("9"))
    assert Song.from_json(record["json"]) == parse_song(record["data"])


# ---------------------------------------------------------------------------------------------------------
# Errors


@pytest.mark.parametrize(
    "obj",
    [
        [],
        "song",
        3,
        {},
        {"channels": [{"type": "drum"}]},  # no pitch channel: no song string could hold it
        {"channels": 5},
        {"channels": [None]},
        {
            "channels": [
                {
                    "type": "pitch",
                    "instruments": [
                        {
                            "type": "chip",
                            "eqFilter": [],
                            "envelopes": [{"target": "operatorAmplitude", "envelope": "punch", "index": 1}],
                        }
                    ],
                }
            ]
        },
        {"channels": [{"instruments": [{"eqFilter": [], "noteFilter": 7}]}]},
    ],
)
def test_bad_structures_raise_format_error(obj):
    with pytest.raises(BeepBoxFormatError):
        song_from_json(obj)


@pytest.mark.parametrize("text", ["{", '{"channels": [1]}', "[1, 2]"])
def test_bad_json_text_raises_format_error(text):
    with pytest.raises(BeepBoxFormatError):
        parse_song(text)


_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-300, 300)
    | st.floats(allow_nan=False, width=32)
    | st.sampled_from(["", "drum", "pitch", "chip", "FM", "reverb", "12", "note size", "low-pass", "x"]),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=3), children, max_size=3)
    ),
    max_leaves=12,
)
_instrument = st.fixed_dictionaries(
    {},
    optional={
        k: _json_values
        for k in (
            "type",
            "volume",
            "effects",
            "eqFilter",
            "noteFilter",
            "envelopes",
            "wave",
            "transition",
            "chord",
            "unison",
            "vibrato",
            "pan",
            "chorus",
            "reverb",
            "pulseWidth",
            "harmonics",
            "spectrum",
            "drums",
            "operators",
            "algorithm",
            "detuneCents",
            "bitcrusherOctave",
            "echoDelayBeats",
            "fadeInSeconds",
        )
    },
)
_note = st.fixed_dictionaries(
    {
        "pitches": st.lists(st.integers(-5, 100), max_size=5) | _json_values,
        "points": st.lists(
            st.fixed_dictionaries(
                {},
                optional={
                    "tick": st.integers(-2, 40) | _json_values,
                    "pitchBend": _json_values,
                    "volume": _json_values,
                },
            ),
            max_size=5,
        ),
    }
)
_channel = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["pitch", "drum", "other"]) | _json_values,
        "octaveScrollBar": _json_values,
        "instruments": st.lists(_instrument, max_size=3) | _json_values,
        "patterns": st.lists(
            st.fixed_dictionaries(
                {"notes": st.lists(_note, max_size=3)},
                optional={"instruments": _json_values, "instrument": _json_values},
            ),
            max_size=3,
        )
        | _json_values,
        "sequence": st.lists(st.integers(-2, 5), max_size=6) | _json_values,
    },
)
_song = st.fixed_dictionaries(
    {},
    optional={
        "scale": _json_values,
        "key": _json_values,
        "beatsPerMinute": _json_values,
        "beatsPerBar": _json_values,
        "ticksPerBeat": _json_values,
        "introBars": _json_values,
        "loopBars": _json_values,
        "reverb": _json_values,
        "layeredInstruments": _json_values,
        "patternInstruments": _json_values,
        "channels": st.lists(_channel, max_size=4),
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_song)
def test_any_json_gives_a_song_or_a_format_error(obj):
    try:
        song = song_from_json(obj)
    except BeepBoxFormatError:
        return
    out = song_to_json(song)
    # what we read back from our own export is the same song
    assert _dumps(song_to_json(song_from_json(json.loads(_dumps(out))))) == _dumps(out)
    assert parse_song(song.to_url()).to_json() == out


def test_exporting_a_broken_model_raises_format_error():
    song = new_song(2, 1)
    song.pitch_channel_count = 5  # more channels claimed than the song holds
    with pytest.raises(BeepBoxFormatError):
        song_to_json(song)
    song = new_song(1, 0)
    song.channels[0].instruments[0].chip_wave = 99
    with pytest.raises(BeepBoxFormatError):
        song_to_json(song)
