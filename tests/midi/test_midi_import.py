"""MIDI import: real BeepBox songs written as MIDI by an independent writer (mido directly, not BeepBrain's
exporter) come back note for note; the conversion rules (channels, chords, overlaps, drums, meter, tempo,
bars and patterns) on small files made here; the CLI."""

from __future__ import annotations

import io
import json

import mido
import pytest

from beepbrain.cli import main
from beepbrain.format import BeepBoxFormatError, parse_song
from beepbrain.midi import MidiImportError, midi_to_song

TPQ = 480
# A General MIDI kit, low to high (bass drum, kick, low floor tom, snare, low tom, electric snare, hi-mid tom,
# clap, closed hat, pedal hat, open hat, crash): the writer's choice of key for each BeepBox noise pitch.
KIT = (35, 36, 41, 38, 45, 40, 48, 39, 42, 44, 46, 49)


# ---------------------------------------------------------------------------------------------------------
# The independent writer


def played_notes(song):
    """(channel, is_noise, bar, start, end, pitch) of every note the song plays through its bars."""
    out = []
    for index in range(song.channel_count):
        for bar in range(song.bar_count):
            pattern = song.pattern_at(index, bar)
            if pattern is None:
                continue
            for note in pattern.notes:
                end = min(note.end, song.parts_per_bar)
                if end > note.start:
                    out.extend(
                        (index, song.is_noise_channel(index), bar, note.start, end, p) for p in note.pitches
                    )
    return out


def song_as_midi(song) -> bytes:
    """One track per channel (pitch channels on MIDI channels 1.., drums on 10), 480 ticks per quarter."""
    ticks_per_part = TPQ // 24
    midi = mido.MidiFile(type=1, ticks_per_beat=TPQ)
    midi.tracks.append(
        mido.MidiTrack(
            [
                mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(song.tempo), time=0),
                mido.MetaMessage("time_signature", numerator=song.beats_per_bar, denominator=4, time=0),
            ]
        )
    )
    events: dict[int, list] = {}
    for index, is_noise, bar, start, end, pitch in played_notes(song):
        base = bar * song.parts_per_bar
        key = KIT[pitch] if is_noise else 12 + song.key + pitch
        events.setdefault(index, []).extend(
            [((base + start) * ticks_per_part, 1, key), ((base + end) * ticks_per_part, 0, key)]
        )
    melodic = 0
    for index in range(song.channel_count):
        if song.is_noise_channel(index):
            channel = 9
        else:
            channel = melodic + (melodic >= 9)
            melodic += 1
        midi.tracks.append(_track(channel, sorted(events.get(index, []))))
    return _bytes(midi)


def _track(channel: int, events) -> mido.MidiTrack:
    track = mido.MidiTrack()
    now = 0
    for tick, on, key in events:
        track.append(
            mido.Message(
                "note_on" if on else "note_off",
                channel=channel,
                note=key,
                velocity=100 if on else 0,
                time=tick - now,
            )
        )
        now = tick
    return track


def _bytes(midi: mido.MidiFile) -> bytes:
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return buffer.getvalue()


def midi_file(
    tracks: dict[int, list[tuple[float, float, int]]] | list,
    *,
    bpm: float = 120,
    signature: tuple[int, int] | None = (4, 4),
    tpq: int = TPQ,
) -> bytes:
    """A type-1 file from notes given in quarter notes: ``[(channel, [(start, length, key), ...]), ...]``."""
    midi = mido.MidiFile(type=1, ticks_per_beat=tpq)
    head = [mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm), time=0)]
    if signature:
        head.append(
            mido.MetaMessage("time_signature", numerator=signature[0], denominator=signature[1], time=0)
        )
    midi.tracks.append(mido.MidiTrack(head))
    for channel, notes in tracks:
        events = []
        for start, length, key in notes:
            events += [(round(start * tpq), 1, key), (round((start + length) * tpq), 0, key)]
        midi.tracks.append(_track(channel, sorted(events)))
    return _bytes(midi)


def sounding(song):
    """Multiset of what a song plays: (is_noise, bar, start, length, MIDI key or noise pitch)."""
    from collections import Counter

    return Counter(
        (noise, bar, s, e - s, p if noise else 12 + song.key + p)
        for _, noise, bar, s, e, p in played_notes(song)
    )


# ---------------------------------------------------------------------------------------------------------
# What must be shown: real songs come back


def _beepbox_songs(corpus_records):
    for record in corpus_records:
        if record["type"] != "beepbox":
            continue
        try:
            yield parse_song(record["data"])
        except BeepBoxFormatError:
            continue


@pytest.mark.parametrize(
    "limit",
    [
        30,  # the quick check: the corpus's first 30 BeepBox songs
        pytest.param(None, marks=pytest.mark.slow),  # every BeepBox song of the corpus (about 180)
    ],
)
def test_real_songs_written_by_an_independent_tool_import_back(corpus_records, limit):
    from itertools import islice

    total = matched = songs = 0
    per_song = []
    for song in islice(_beepbox_songs(corpus_records), limit):
        expected = sounding(song)
        if not expected:
            continue
        imported, report = midi_to_song(song_as_midi(song))
        assert parse_song(imported.to_url()).to_url() == imported.to_url()  # a valid BeepBox song
        assert (imported.tempo, imported.beats_per_bar) == (song.tempo, song.beats_per_bar)
        assert report.notes_in == sum(expected.values())
        got = sounding(imported)
        hits = sum((expected & got).values())
        total += sum(expected.values())
        matched += hits
        per_song.append(hits / sum(expected.values()))
        songs += 1
    assert songs >= (150 if limit is None else limit - 5)
    assert matched / total >= 0.95, f"{matched}/{total} notes at the same bar, start, length and pitch"
    assert sum(r >= 0.95 for r in per_song) / songs >= 0.95


def test_identical_bars_share_a_pattern():
    bar = [(0, 1, 60), (1, 1, 64), (2, 2, 67)]
    notes = [(b * 4 + s, n, k) for b in range(4) for s, n, k in bar] + [(16, 4, 72)]
    song, report = midi_to_song(midi_file([(0, notes)]))
    assert song.bar_count == 5 and song.beats_per_bar == 4
    assert song.channels[0].bars == [1, 1, 1, 1, 2]
    assert sum(1 for p in song.channels[0].patterns if p.notes) == 2
    assert report.notes_out == report.notes_in == 13 and report.dropped == 0


# ---------------------------------------------------------------------------------------------------------
# The conversion rules


def test_tracks_become_channels_by_note_count_at_most_ten():
    tracks = [(ch if ch < 9 else ch + 1, [(i, 1, 60 + ch) for i in range(ch + 1)]) for ch in range(11)]
    song, report = midi_to_song(midi_file(tracks))
    assert song.pitch_channel_count == 10 and song.noise_channel_count == 0
    assert report.changes["dropped_track_limit"] == 1  # the voice with the fewest notes (one)
    assert report.notes_out == report.notes_in - 1
    kept = sorted({p for ch in song.channels for pat in ch.patterns for n in pat.notes for p in n.pitches})
    assert kept == [60 + ch - 12 for ch in range(1, 11)]


def test_large_chords_are_split_across_channels_or_reduced():
    chord = [(0, 2, k) for k in (48, 52, 55, 59, 62, 65)]
    song, report = midi_to_song(midi_file([(0, chord)]))
    assert song.pitch_channel_count == 2
    notes = [n.pitches for ch in song.channels[:2] for n in ch.patterns[0].notes]
    assert sorted(notes) == [[36, 40], [43, 47, 50, 53]]  # the top four first, then the rest
    assert report.dropped == 0

    from beepbrain.midi import read_midi, score_to_song

    reduced, report = score_to_song(read_midi(midi_file([(0, chord)])), max_pitch_channels=1)
    assert reduced.channels[0].patterns[0].notes[0].pitches == [43, 47, 50, 53]
    assert report.changes["dropped_chord"] == 2 and report.notes_out == 4


def test_overlapping_notes_take_a_second_channel_or_are_cut():
    notes = [(0, 3, 60), (1, 1, 64), (2, 2, 67)]
    song, report = midi_to_song(midi_file([(0, notes)]))
    assert song.pitch_channel_count == 2 and report.dropped == 0
    lanes = [[(n.start, n.end, n.pitches) for n in ch.patterns[0].notes] for ch in song.channels[:2]]
    assert lanes == [[(0, 72, [48])], [(24, 48, [52]), (48, 96, [55])]]

    # eleven voices, the busiest overlapping itself: no spare channel, so the held note is cut short
    others = [(ch if ch < 9 else ch + 1, [(i, 1, 40 + ch) for i in range(2)]) for ch in range(1, 10)]
    song, report = midi_to_song(midi_file([(0, notes), *others]))
    assert song.pitch_channel_count == 10
    first = [(n.start, n.end, n.pitches) for n in song.channels[0].patterns[0].notes]
    assert first == [(0, 24, [48]), (24, 48, [52]), (48, 96, [55])]
    assert report.changes["truncated_overlap"] == 1 and report.dropped == 0


def test_notes_starting_together_join_one_chord_when_no_channel_is_free():
    from beepbrain.midi import read_midi, score_to_song

    notes = [(0, 4, 48), (0, 1, 60), (1, 1, 62)]  # a held bass under two melody notes, one channel
    song, report = score_to_song(read_midi(midi_file([(0, notes)])), max_pitch_channels=1)
    got = [(n.start, n.end, n.pitches) for n in song.channels[0].patterns[0].notes]
    assert got == [(0, 24, [36, 48]), (24, 48, [50])]
    assert report.changes["joined_chord"] == 1


def test_percussion_goes_to_noise_channels_as_beepbox_drums():
    drums = [(0, 0.25, 36), (1, 0.25, 38), (2, 0.25, 42), (2, 0.25, 49), (3, 0.25, 81)]
    song, report = midi_to_song(midi_file([(0, [(0, 4, 60)]), (9, drums)]))
    assert song.pitch_channel_count == 1 and song.noise_channel_count == 1
    hits = [(n.start, n.pitches) for n in song.channels[1].patterns[0].notes]
    assert hits == [(0, [1]), (24, [3]), (48, [8, 11]), (72, [10])]
    assert report.dropped == 0


def test_meter_tempo_and_grid_from_the_file():
    # 6/8 at dotted-quarter 100: the beat is a quarter note (3 per bar), eighth-note triplets pick ÷3
    triplets = [(i / 3, 1 / 3, 60) for i in range(9)]
    song, _ = midi_to_song(midi_file([(0, triplets)], bpm=100, signature=(6, 8)))
    assert (song.beats_per_bar, song.tempo, song.rhythm) == (3, 100, 0)
    # 2/4: BeepBox needs 3 beats at least, so eighth notes are beats and the tempo doubles
    song, _ = midi_to_song(midi_file([(0, [(0, 1, 60)])], bpm=90, signature=(2, 4)))
    assert (song.beats_per_bar, song.tempo) == (4, 180)
    # 7/8: seven eighth-note beats
    song, _ = midi_to_song(midi_file([(0, [(0, 1, 60)])], bpm=120, signature=(7, 8)))
    assert (song.beats_per_bar, song.tempo) == (7, 240)
    # no time signature: 4/4; a tempo over BeepBox's 300 is clamped and counted
    song, report = midi_to_song(midi_file([(0, [(0, 1, 60)])], bpm=400, signature=None))
    assert (song.beats_per_bar, song.tempo) == (4, 300) and report.changes["tempo_clamped"] == 1
    # --beats-per-bar overrides
    song, _ = midi_to_song(midi_file([(0, [(0, 1, 60)])], signature=(3, 4)), beats_per_bar=6)
    assert song.beats_per_bar == 6


def test_off_grid_notes_are_quantized_and_counted():
    played = [(0.02, 0.9, 60), (1.01, 0.47, 62), (2.0, 0.01, 64)]  # a human performance, and a blip
    song, report = midi_to_song(midi_file([(0, played)]), rhythm=1)
    got = [(n.start, n.end) for n in song.channels[0].patterns[0].notes]
    assert got == [(0, 24), (24, 36), (48, 54)]  # ÷4: steps of 6 parts; the blip is one step long
    assert report.changes["quantized"] == 3 and report.changes["lengthened"] == 1


def test_notes_crossing_a_bar_line_are_cut_there():
    song, report = midi_to_song(midi_file([(0, [(3, 2, 60)])]))
    assert song.bar_count == 2
    first, second = (song.pattern_at(0, b).notes for b in range(2))
    assert [(n.start, n.end) for n in first] == [(72, 96)] and [(n.start, n.end) for n in second] == [(0, 24)]
    assert report.changes["split_at_bar"] == 1


def test_keys_outside_beepbox_range_move_by_octaves():
    song, report = midi_to_song(midi_file([(0, [(0, 1, 5), (1, 1, 120)])]))
    pitches = [n.pitches[0] for n in song.channels[0].patterns[0].notes]
    assert pitches == [5 - 12 + 12, 120 - 12 - 24] and report.changes["octave_shifted"] == 2


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "ends inside its header"),
        (b"MThd\x00\x00\x00\x06\x00\x01\x00\x01\x01\xe0MTrk\x00\x00\x01\x00\x00\x90", "ends inside"),
        (b"RIFF not a midi file at all, just text", "MThd not found"),
        (b"MThd\x00\x00\x00\x06\x00\x01\x00\x00\xe7\x28", "SMPTE"),  # 25 frames/s, 40 ticks/frame
    ],
)
def test_corrupt_files_raise_a_clear_error(data, reason):
    with pytest.raises(MidiImportError, match=reason):
        midi_to_song(data)


def test_a_file_without_notes_is_an_error():
    with pytest.raises(MidiImportError, match="no notes"):
        midi_to_song(midi_file([(0, [])]))


# ---------------------------------------------------------------------------------------------------------
# The command


def test_cli_from_midi_prints_a_url_and_writes_json(tmp_path, capsys):
    path = tmp_path / "tune.mid"
    path.write_bytes(midi_file([(0, [(0, 1, 60), (1, 1, 64), (2, 2, 67)]), (9, [(0, 0.5, 36)])]))
    out = tmp_path / "tune.json"
    assert main(["song", "from-midi", str(path), "--out", str(out), "--json-report"]) == 0
    captured = capsys.readouterr()
    url = captured.out.strip()
    assert url.startswith("https://www.beepbox.co/#9")
    report = json.loads(captured.err)
    assert report["notes_in"] == report["notes_out"] == 4
    from_url = parse_song(url)
    assert from_url.to_json() == json.loads(out.read_text())
    assert (from_url.pitch_channel_count, from_url.noise_channel_count) == (1, 1)


def test_cli_from_midi_bad_file_is_one_line_and_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.mid"
    bad.write_bytes(b"MThd\x00\x00")
    assert main(["song", "from-midi", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "bad.mid" in err and "Traceback" not in err
    assert main(["song", "from-midi", str(tmp_path / "missing.mid")]) == 2
    assert "no such file" in capsys.readouterr().err
