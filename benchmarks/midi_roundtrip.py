"""MIDI import: how much of a real BeepBox song comes back from a MIDI file, and how fast files import.

Every BeepBox song of the test corpus (../shared/corpus/songs.jsonl.zst, or --corpus) is written as MIDI twice:
by an independent writer here (mido directly: one track per channel, drums on channel 10 with a General MIDI
kit, 480 ticks per quarter note) and by BeepBrain's own exporter (beepbrain.midi.write). Each file is
imported (beepbrain.midi) with no options, and its notes compared with the song's: the share at the same bar,
start, length and sounding pitch (drums: the same drum).

    python benchmarks/midi_roundtrip.py
"""

from __future__ import annotations

import argparse
import io
import json
import time
from collections import Counter
from pathlib import Path

import mido
import zstandard

from beepbrain.format import BeepBoxFormatError, parse_song
from beepbrain.midi import midi_to_song, song_to_midi

KIT = (35, 36, 41, 38, 45, 40, 48, 39, 42, 44, 46, 49)
DEFAULT_CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "songs.jsonl.zst"


def played(song):
    for index in range(song.channel_count):
        noise = song.is_noise_channel(index)
        for bar in range(song.bar_count):
            pattern = song.pattern_at(index, bar)
            for note in pattern.notes if pattern else ():
                end = min(note.end, song.parts_per_bar)
                if end > note.start:
                    yield from ((index, noise, bar, note.start, end, p) for p in note.pitches)


def sounding(song) -> Counter:
    return Counter(
        (noise, bar, s, e - s, p if noise else 12 + song.key + p) for _, noise, bar, s, e, p in played(song)
    )


def independent_midi(song) -> bytes:
    midi = mido.MidiFile(type=1, ticks_per_beat=480)
    midi.tracks.append(
        mido.MidiTrack(
            [
                mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(song.tempo)),
                mido.MetaMessage("time_signature", numerator=song.beats_per_bar, denominator=4),
            ]
        )
    )
    per_channel: dict[int, list] = {}
    for index, noise, bar, start, end, pitch in played(song):
        key = KIT[pitch] if noise else 12 + song.key + pitch
        base = bar * song.parts_per_bar
        per_channel.setdefault(index, []).extend([((base + start) * 20, 1, key), ((base + end) * 20, 0, key)])
    melodic = 0
    for index in range(song.channel_count):
        channel = 9 if song.is_noise_channel(index) else melodic + (melodic >= 9)
        melodic += not song.is_noise_channel(index)
        track, now = mido.MidiTrack(), 0
        for tick, on, key in sorted(per_channel.get(index, [])):
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
        midi.tracks.append(track)
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return buffer.getvalue()


def own_midi(song) -> bytes:
    buffer = io.BytesIO()
    song_to_midi(song).save(file=buffer)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    args = parser.parse_args()
    with open(args.corpus, "rb") as fh:
        text = io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(fh), encoding="utf-8")
        records = [json.loads(line) for line in text if line.strip()]
    songs = []
    for record in records:
        if record.get("type") == "beepbox":
            try:
                song = parse_song(record["data"])
            except BeepBoxFormatError:
                continue
            if sum(sounding(song).values()):
                songs.append(song)
    for label, writer in (("independent mido writer", independent_midi), ("BeepBrain's exporter", own_midi)):
        files = [writer(song) for song in songs]
        t0 = time.perf_counter()
        imported = [midi_to_song(data) for data in files]
        seconds = time.perf_counter() - t0
        total = matched = good_songs = 0
        changes: Counter = Counter()
        for song, (new, report) in zip(songs, imported, strict=True):
            want, got = sounding(song), sounding(new)
            hits = sum((want & got).values())
            total += sum(want.values())
            matched += hits
            good_songs += hits >= 0.95 * sum(want.values())
            changes.update({k: v for k, v in report.changes.items() if v})
        notes = sum(r.notes_in for _, r in imported)
        print(
            f"{label}: {len(songs)} songs, {total:,} notes; {100 * matched / total:.2f}% at the same bar, start, "
            f"length and pitch; {good_songs}/{len(songs)} songs at >= 95%"
        )
        print(
            f"  import: {len(files) / seconds:.0f} files/s, {notes / seconds:,.0f} notes/s (one core, mido reading "
            f"included); changes: {dict(changes.most_common())}"
        )


if __name__ == "__main__":
    main()
