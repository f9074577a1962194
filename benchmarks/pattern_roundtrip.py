"""What the pattern tokenizer keeps: round trip, header, instruments, stream lengths, and how far songs keep
to their BeepBox scale. Prints the figures docs/pattern-tokens.md and the README state.

    .venv/bin/python benchmarks/pattern_roundtrip.py [--source FILE]

Default source: ../shared/corpus/songs.jsonl.zst when present, else the bundled sample archive.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "corpus" / "songs.jsonl.zst"


def played(song) -> dict:
    """(channel, bar) -> (start, end, pitches in stored order) of every note played there."""
    out = {}
    for c in range(song.channel_count):
        for b in range(song.bar_count):
            p = song.pattern_at(c, b)
            if p is not None:
                out[(c, b)] = [(n.start, n.end, tuple(dict.fromkeys(n.pitches))) for n in p.notes]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=None, help="songs: .jsonl(.zst) archive or URL list")
    args = parser.parse_args()

    from beepbrain.archive.sources import sample_archive
    from beepbrain.format import config as fc
    from beepbrain.format import parse_song
    from beepbrain.tokens import PatternTokenizer, PatternTokenizerConfig
    from beepbrain.tokens.stats import read_song_strings

    source = args.source or (SHARED if SHARED.exists() else sample_archive())
    songs = []
    for _id, data in read_song_strings(source):
        try:
            songs.append(parse_song(data))
        except ValueError:
            continue
    compact, full = PatternTokenizer(), PatternTokenizer(PatternTokenizerConfig(instrument_detail="full"))
    stable = header = notes = exact = channels = types = same_compact = same_full = 0
    lengths = []
    in_scale = {}
    for song in songs:
        enc = compact.encode(song)
        back = compact.decode(enc.tokens, enc.conditioning)
        lengths.append(len(enc.tokens))
        stable += bool(np.array_equal(compact.encode(back).tokens, enc.tokens))
        header += (back.tempo, back.key, back.scale, back.beats_per_bar) == (
            song.tempo,
            song.key,
            song.scale,
            song.beats_per_bar,
        )
        want, got = played(song), played(back)
        for where, ns in want.items():
            notes += len(ns)
            exact += sum(n in got.get(where, []) for n in ns)
        full_back = full.decode(full.encode(song).tokens, enc.conditioning)
        for a, b, f in zip(song.channels, back.channels, full_back.channels, strict=True):
            channels += 1
            types += a.instruments[0].type == b.instruments[0].type
            same_compact += a.instruments[0] == b.instruments[0]
            same_full += a.instruments[0] == f.instruments[0]
        if song.scale != len(fc.SCALE_NAMES) - 1:  # every scale but "expert"
            classes = fc.SCALE_PITCH_CLASSES[song.scale]
            pitches = [
                p
                for c in range(song.pitch_channel_count)
                for pat in song.channels[c].patterns
                for n in pat.notes
                for p in n.pitches
            ]
            hit, total = in_scale.get(song.scale, (0, 0))
            in_scale[song.scale] = (hit + sum(p % 12 in classes for p in pitches), total + len(pitches))
    lengths = np.array(lengths)
    n = len(songs)
    print(f"source: {source}: {n} songs, {channels} channels, {notes:,} notes played")
    print(f"encode -> decode -> encode identical: {stable}/{n}")
    print(f"tempo, key, scale, beats per bar back: {header}/{n}")
    print(
        f"notes back exactly (start, end, pitches in stored order): {exact:,}/{notes:,} ({100 * exact / notes:.2f}%)"
    )
    print(
        f"instrument type back: {types}/{channels}; instrument exactly: compact {same_compact}/{channels} "
        f"({100 * same_compact / channels:.0f}%), full {same_full}/{channels}"
    )
    print(
        f"tokens per song: median {np.median(lengths):.0f}, p90 {np.percentile(lengths, 90):.0f}; "
        f"fit in 512 tokens: {100 * (lengths <= 512).mean():.0f}%; vocabulary {compact.vocab_size}"
    )
    for scale, (hit, total) in sorted(in_scale.items()):
        if total:
            print(
                f"scale {fc.SCALE_NAMES[scale]!r}: {100 * hit / total:.1f}% of {total:,} pitch-channel pitches "
                "in the scale"
            )


if __name__ == "__main__":
    main()
