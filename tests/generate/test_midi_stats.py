"""MIDI export and musical statistics on hand-built songs and the real test corpus."""

from __future__ import annotations

import math

import mido
import pytest

from beepbrain.format import new_song, parse_song
from beepbrain.format.song import Note
from beepbrain.generate.stats import STAT_NAMES, song_stats, summarize
from beepbrain.midi.write import GM_DRUMS, TICKS_PER_PART, write_midi


def _song():
    song = new_song(pitch_channels=2, noise_channels=1, bars=2, beats_per_bar=4, key=2, tempo=120)
    song.channels[0].patterns[0].notes = [Note.simple(24, 0, 24), Note.simple([28, 31], 24, 48)]
    song.channels[1].patterns[0].notes = [Note.simple(12, 0, 96)]
    song.channels[2].patterns[0].notes = [Note.simple(0, 0, 12), Note.simple(11, 48, 60)]
    for ch in song.channels:
        ch.bars = [1, 1]
    return song


def test_midi_notes_pitches_tempo_and_drum_channel(tmp_path):
    song = _song()
    path = write_midi(song, tmp_path / "song.mid")
    midi = mido.MidiFile(str(path))
    assert len(midi.tracks) == 1 + song.channel_count
    tempos = [m.tempo for m in midi.tracks[0] if m.type == "set_tempo"]
    assert tempos == [mido.bpm2tempo(120)]
    ons = [(i, m) for i, t in enumerate(midi.tracks) for m in t if m.type == "note_on" and m.velocity > 0]
    # per bar: 3 pitches in channel 1, 1 in channel 2, 2 drums; two bars
    assert len(ons) == 2 * (3 + 1 + 2)
    pitch1 = sorted({m.note for i, m in ons if i == 1})
    assert pitch1 == [12 + 2 + 24, 12 + 2 + 28, 12 + 2 + 31]  # key D: C0 is MIDI 12
    drums = [m for i, m in ons if i == 3]
    assert {m.channel for m in drums} == {9}
    assert sorted({m.note for m in drums}) == sorted({GM_DRUMS[0], GM_DRUMS[11]})
    # the second bar's first note starts one bar (4 beats) in
    track = midi.tracks[2]
    t, starts = 0, []
    for m in track:
        t += m.time
        if m.type == "note_on" and m.velocity > 0:
            starts.append(t)
    assert starts == [0, 4 * 24 * TICKS_PER_PART]


def test_stats_on_hand_built_song():
    stats = song_stats(_song())
    assert set(stats) == set(STAT_NAMES)
    # pitch classes with key D (+2): 26%12=2, 30%12=6, 33%12=9, 14%12=2 -> {2: 2+2, 6: 2, 9: 2} over 2 bars
    assert stats["pitch_class_entropy"] == pytest.approx(-(0.5 * math.log2(0.5) + 2 * 0.25 * math.log2(0.25)))
    assert stats["scale_consistency"] == 1.0  # D, F#, A fit D major
    assert stats["groove_consistency"] == 1.0  # both bars identical
    assert stats["note_density"] == pytest.approx(6 / 8)
    assert stats["drum_density"] == pytest.approx(4 / 8)
    assert 1.0 < stats["polyphony"] <= 3.0


def test_stats_on_empty_song_are_nan_and_summaries_skip_them():
    empty = song_stats(new_song(bars=4))
    assert math.isnan(empty["pitch_class_entropy"]) and empty["note_density"] == 0
    summary = summarize([empty, song_stats(_song())])
    assert summary["scale_consistency"] == 1.0


def test_real_songs_export_and_measure(corpus_records, tmp_path):
    done = 0
    for record in corpus_records[:40]:
        try:
            song = parse_song(record["data"])
        except ValueError:
            continue
        stats = song_stats(song)
        if not math.isnan(stats["pitch_class_entropy"]):
            assert 0 <= stats["pitch_class_entropy"] <= math.log2(12) + 1e-9
            assert 0 < stats["scale_consistency"] <= 1
        midi = mido.MidiFile(str(write_midi(song, tmp_path / f"{done}.mid")))
        assert len(midi.tracks) == 1 + song.channel_count
        done += 1
    assert done >= 20
