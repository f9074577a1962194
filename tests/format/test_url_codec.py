"""Units of the URL codec: BeepBox's defaults, bit fields, every instrument type, and the version-9 writer."""

from __future__ import annotations

import pytest

from beepbrain.format import BeepBoxFormatError, Instrument, Note, NotePin, new_song, parse_song
from beepbrain.format import config as c
from beepbrain.format.bits import BitReader, BitWriter


def test_new_song_is_beepbox_default_song():
    # A version-8 string with no tags is BeepBox's initToDefault song, upgraded.
    song = new_song()
    assert parse_song("8") == song
    assert parse_song(song.to_url()) == song
    assert [ch.octave for ch in song.channels] == [4, 3, 2, 0]
    assert song.channels[0].bars[:5] == [1, 1, 1, 1, 0]
    assert song.to_url().startswith("9n31s0k0l00e03t2ma7g0fj07r1i0o432T0v0u00f0qw02d04w2h0E0")


@pytest.mark.parametrize("kind", range(c.INSTRUMENT_TYPE_COUNT))
@pytest.mark.parametrize("is_noise", [False, True])
def test_every_instrument_type_round_trips(kind, is_noise):
    song = new_song(1, 1)
    channel = song.channels[1 if is_noise else 0]
    inst = Instrument.default(kind, is_noise)
    inst.volume = 3
    inst.preset = 700
    channel.instruments = [inst]
    assert parse_song(song.to_url()) == song


def test_instrument_defaults_follow_set_type_and_reset():
    chip = Instrument.default(c.CHIP, False)
    assert (chip.chord, chip.effects, chip.fade_out, chip.pan, chip.detune, chip.pitch_shift) == (
        c.CHORD_ARPEGGIO,
        1 << c.EFFECT_CHORD,
        c.FADE_OUT_NEUTRAL,
        c.PAN_CENTER,
        c.DETUNE_CENTER,
        12,
    )
    fm = Instrument.default(c.FM, False)
    assert fm.chord == c.CHORD_CUSTOM_INTERVAL and [op.amplitude for op in fm.operators] == [15, 15, 0, 0]
    drums = Instrument.default(c.DRUMSET, True)
    assert drums.effects == 0 and drums.drumset_envelopes == [c.ENVELOPE_INDEX["twang 2"]] * 12
    assert Instrument.default(c.PICKED_STRING, False).chord == c.CHORD_STRUM
    with pytest.raises(BeepBoxFormatError):
        Instrument.default(9, False)


def test_new_song_rejects_out_of_range_settings():
    for kwargs in ({"bars": 0}, {"bars": 129}, {"tempo": 400}, {"rhythm": 5}, {"beats_per_bar": 2}):
        with pytest.raises(BeepBoxFormatError):
            new_song(**kwargs)
    with pytest.raises(BeepBoxFormatError):
        new_song(11, 0)
    with pytest.raises(BeepBoxFormatError):
        new_song(1, 6)


def test_bit_writer_and_reader_agree():
    w = BitWriter()
    w.write(3, 5)
    w.write_long_tail(1, 3, 1)
    w.write_long_tail(1, 3, 9)
    w.write_long_tail(0, 0, 0)
    w.write_long_tail(1, 3, 300)
    text = w.text()
    r = BitReader(text, 0, len(text))
    assert r.read(3) == 5
    assert [
        r.read_long_tail(1, 3),
        r.read_long_tail(1, 3),
        r.read_long_tail(0, 0),
        r.read_long_tail(1, 3),
    ] == [1, 9, 0, 300]


def test_bit_reader_past_the_end_reads_like_javascript():
    r = BitReader("z", 0, 3)  # one real character, two past the string's end (zeros), then undefined
    assert r.read(6) == c_value("z")
    assert r.read(12) == 0
    value = r.read(1)
    assert value != value  # NaN: JavaScript's undefined arithmetic


def c_value(ch: str) -> int:
    from beepbrain.format.base64 import ALPHABET

    return ALPHABET.index(ch)


def test_notes_chords_bends_and_shapes_survive():
    song = new_song(1, 1, bars=2, patterns_per_channel=2)
    pattern = song.channels[0].patterns[0]
    pattern.notes = [
        Note([48, 52, 55], 0, 24, [NotePin(0, 0, 3), NotePin(2, 12, 2), NotePin(-1, 24, 0)], True),
        Note([60], 24, 48, [NotePin(0, 0, 3), NotePin(0, 24, 3)]),
        Note(
            [61], 48, 72, [NotePin(0, 0, 3), NotePin(0, 24, 3)]
        ),  # same shape again: coded as a recent shape
        Note([0, 84], 96, 192, [NotePin(0, 0, 1), NotePin(0, 96, 1)]),
    ]
    song.channels[1].patterns[1].notes = [Note([11], 0, 6, [NotePin(0, 0, 3), NotePin(0, 6, 3)])]
    song.channels[0].bars = [1, 2]
    song.channels[1].bars = [2, 0]
    again = parse_song(song.to_url())
    assert again == song
    assert again.channels[0].patterns[0].notes[0].continues_last_pattern


def test_encoding_an_impossible_song_is_a_format_error():
    song = new_song(1, 0)
    song.channels[0].patterns[0].notes = [Note([40], 0, 0, [NotePin(0, 0, 3), NotePin(0, 0, 3)])]
    with pytest.raises(BeepBoxFormatError):
        song.to_url()


@pytest.mark.parametrize(
    ("text", "position"),
    [("9n31s0k0l00e03t2ma7g0fj07r1i0o432T9", 34), ("9nZ1", 2), ("9n31!", 4), ("8n31s0k0l00e03t2ma7g25", 21)],
)
def test_rejects_carry_their_position(text, position):
    with pytest.raises(BeepBoxFormatError) as info:
        parse_song(text)
    assert info.value.position == position


def test_shape_keys_carry_stale_padding_like_beepbox():
    # BeepBox's own re-encoding of this song (checked against its synth.ts): its note-shape writer keeps the
    # bits of earlier, longer shapes as padding, which decides whether a shape counts as recently used.
    url = (
        "9n11s0k0l00e03t2mafg0aj00r0i0o4T0v0u00f0qw02d04w2h0E0T2v0u02f0qw02d04w1E0bDn_op1_yEyTb8Tk1ME2py0ESCCP15"
        "k0o8G0jBFIqqrsc5Q-bpcUslMArfxy2ErKvz3NYR0"
    )
    assert parse_song(url).to_url() == url
