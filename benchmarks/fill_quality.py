"""What the context is worth to `beepbrain fill`, and whether an added drum channel fits the song: the figures
docs/fill.md states.

    .venv/bin/python benchmarks/fill_quality.py [--data-dir beepbrain-data] [--baseline-model URI]

On the dataset's test split (songs the model never saw; decoded from their tokens), or with ``--song-file
FILE`` on real songs of your own (archive records or one song a line, as the codec reads them, less any in
the dataset's train split; ``--songs N`` takes the first N, 16 by default):
1. Bits per note of a hole's real notes (``hole_bits``) for holes of each kind, within the song's bars up to
   its last note (4 bars over all channels from the song's middle, a whole pitch channel, the drum channel, the bass: the pitch channel with the
   lowest notes) under each context: the rest of the song (full), the bars up to the hole (before), the
   header alone (header), and another test song's context of the same shape with this song's hole content
   put in (other); and in place (inline: each cell's item where the song has it, everything before it in
   view, as the model reads any song). Paired differences against ``full`` (and inline against header)
   with their spread over songs.
2. The drum channel silenced and written again by the model (``fill_song`` over the bars ``fill
   --add-channel`` writes: up to the song's last note, ``added_cells``; temperature 1 unless
   ``--temperature`` says otherwise; ``--draws K`` writes each song K times,
   after the song in the fill layout and in place (``layout``), each bar on its own, then following the
   song's repeats as ``beepbrain fill`` does by default,
   no constraint beyond validity, or with ``--constrained`` those of ``fill --add-channel``): its drum onsets per bar next to the original's, and, over the pairs of
   bars where every other channel repeats (same patterns, some sounding), the share where it repeats too,
   next to the original drum channel's share; and where the notes go (silent cells, notes per sounding
   cell) in the first bar, bars 2-8 and later ones, and in the bars after the song's last note (without
   the drums), the silent bars inside it and the bars where the other channels sound. The original's density counts every bar it plays, the bars after the others' last note too.
3. Bars written anew (the 4-bar span of 1, following repeats, free; in the fill layout as ``fill --bars``
   writes them, and in place): the span's statistics next to the original bars', and per hole bar the
   silent cells and notes per sounding cell.
4. With ``--baseline-model`` (a model trained without fill tasks at the same budget): total bits per note
   of the whole test songs under both models (continuation must not suffer).
"""

from __future__ import annotations

import argparse
import copy
import math
from pathlib import Path

from beepbrain.generate.stats import JUDGED_STATS as SPAN_STATS
from beepbrain.generate.stats import sounding_bars

KINDS = ("span", "channel", "drums", "bass")
CONTEXTS = ("full", "before", "header", "other", "inline")


def hole_of(song, kind: str, to_last_note: bool = True):
    """The cells of a hole of ``kind`` in ``song`` (0-based), or None where the song has no such hole.
    ``to_last_note``: within the song as the model reads it, its bars up to its last note (``sounding_bars``:
    a song saved with empty bars after its music does not have its span there); else every bar."""
    bars = min(sounding_bars(song) if to_last_note else song.bar_count, 128)

    def sounding(c):
        return any(song.pattern_at(c, b) is not None and song.pattern_at(c, b).notes for b in range(bars))

    pitch = [c for c in range(song.pitch_channel_count) if sounding(c)]
    if kind == "span":
        if bars < 6:
            return None
        start = bars // 2 - 2
        return [(b, c) for b in range(start, start + 4) for c in range(song.channel_count)]
    if kind == "channel":
        return [(b, pitch[0]) for b in range(bars)] if pitch else None
    if kind == "drums":
        drums = [c for c in range(song.pitch_channel_count, song.channel_count) if sounding(c)]
        return [(b, drums[0]) for b in range(bars)] if drums else None
    if len(pitch) < 2:
        return None

    def mean_pitch(c):
        ps = [
            p
            for b in range(bars)
            if song.pattern_at(c, b) is not None
            for n in song.pattern_at(c, b).notes
            for p in n.pitches
        ]
        return sum(ps) / len(ps) if ps else math.inf

    return [(b, min(pitch, key=mean_pitch)) for b in range(bars)]


def in_other(song, other, cells):
    """``other`` with ``song``'s content in ``cells`` (same shape), or None where it does not fit."""
    from beepbrain.format.edit import put_pattern

    if (other.pitch_channel_count, other.noise_channel_count, other.beats_per_bar, other.rhythm) != (
        song.pitch_channel_count,
        song.noise_channel_count,
        song.beats_per_bar,
        song.rhythm,
    ):
        return None
    if max(b for b, _c in cells) >= other.bar_count:
        return None
    out = copy.deepcopy(other)
    for b, c in cells:
        put_pattern(out, c, b, song.pattern_at(c, b))
    return out


def notes_key(song, c, b):
    p = song.pattern_at(c, b)
    return tuple((tuple(n.pitches), n.start, n.end) for n in p.notes) if p is not None and p.notes else ()


def repeat_share(song, channel: int) -> tuple[int, int]:
    """(pairs where ``channel`` repeats, pairs) over the bar pairs where every other channel repeats."""
    bars = min(song.bar_count, 128)
    others = [c for c in range(song.channel_count) if c != channel]
    keys = [tuple(notes_key(song, c, b) for c in others) for b in range(bars)]
    hit = total = 0
    for i in range(bars):
        for j in range(i + 1, bars):
            if keys[i] == keys[j] and any(keys[i]):
                total += 1
                hit += notes_key(song, channel, i) == notes_key(song, channel, j)
    return hit, total


def onsets_per_bar(song, channel: int) -> float:
    bars = min(song.bar_count, 128)
    return sum(len(notes_key(song, channel, b)) for b in range(bars)) / max(bars, 1)


def cell_notes(song, cells) -> list[int]:
    """Notes of each cell, in the cells' order."""
    return [len(notes_key(song, c, b)) for b, c in cells]


def where_notes_go(groups: dict[str, tuple[list[int], list[int]]]) -> str:
    """Per group of cells (written, original note counts): the silent share and the notes per sounding cell."""

    def part(counts: list[int]) -> str:
        sounding = [n for n in counts if n]
        per = sum(sounding) / len(sounding) if sounding else 0.0
        return f"silent {sum(1 for n in counts if not n) / max(len(counts), 1):.0%}, {per:.1f} notes when sounding"

    return "; ".join(
        f"{name} ({len(r)} cells written): {part(w)} (original {part(r)})"
        for name, (w, r) in groups.items()
        if r
    )


def mean_sd(values):
    n = len(values)
    if not n:
        return float("nan"), float("nan"), 0
    m = sum(values) / n
    sd = (sum((v - m) ** 2 for v in values) / (n - 1)) ** 0.5 if n > 1 else 0.0
    return m, sd, n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="beepbrain-data")
    parser.add_argument("--model", default="models:/beepbrain/latest")
    parser.add_argument("--baseline-model", default=None, help="a model trained without fill tasks")
    parser.add_argument("--dataset", default="sample")
    parser.add_argument("--songs", type=int, default=16, help="at most this many songs (default 16)")
    parser.add_argument(
        "--min-bars", type=int, default=1, help="only songs of at least this many bars (default 1: all)"
    )
    parser.add_argument(
        "--song-file",
        type=Path,
        default=None,
        help="the songs of this archive file (.jsonl[.zst]) or song list, as the codec reads them (less any "
        "in the dataset's train split), instead of the dataset's test split",
    )
    parser.add_argument("--sections", default="1,2,3,4", help="which of the sections to run (default all)")
    parser.add_argument("--temperature", type=float, default=1.0, help="sampling in sections 2 and 3")
    parser.add_argument(
        "--draws",
        type=int,
        default=1,
        help="section 2: write each song's drums this many times (sampling seeds song, song + 1000, ...) and "
        "report them together and each draw's difference (default 1)",
    )
    parser.add_argument(
        "--constrained",
        action="store_true",
        help="section 2 with fill's default constraints (the rhythm's grid, the scale, the rewritten "
        "channel's first bar not silent, as for --add-channel) instead of free",
    )
    parser.add_argument(
        "--commands-only",
        action="store_true",
        help="section 2 only as `fill --add-channel drum` writes (in place, following the song's repeats), "
        "not the other three ways",
    )
    args = parser.parse_args()

    from beepbrain import settings
    from beepbrain.format.edit import put_pattern
    from beepbrain.generate.batch import load_generator
    from beepbrain.generate.evaluate import load_split, reference_songs
    from beepbrain.generate.fill import added_cells, fill_song, hole_bits
    from beepbrain.generate.sampling import SamplingConfig
    from beepbrain.generate.score import score_songs, total_bits_per_note
    from beepbrain.generate.stats import cut_bars, song_stats, summarize

    data = settings.data_dir(args.data_dir)
    tracking = settings.tracking_uri(data, None)
    model, tok, _info = load_generator(args.model, tracking)
    if args.song_file is not None:
        from main_job_quality import outside_songs  # benchmarks/ is on sys.path when run as a script

        train = load_split(data / "datasets" / args.dataset, "train")
        pool, what = outside_songs(args.song_file, tok, train), f"songs of {args.song_file}"
    else:
        split = load_split(data / "datasets" / args.dataset, "test")
        pool, what = reference_songs(tok, split, len(split.songs)), f"test songs of {args.dataset}"
    songs = [s for s in pool if s.bar_count >= args.min_bars][: args.songs]
    print(f"{len(songs)} {what}; model {args.model}")

    sections = {int(x) for x in args.sections.split(",") if x}
    print("\n1. hole bits per note by context (paired differences vs full: mean ± sd over songs)")
    print(
        f"{'hole':<9}{'songs':>6}"
        + "".join(f"{c:>10}" for c in CONTEXTS)
        + "".join(f"{c + '-full':>16}" for c in CONTEXTS[1:])
        + f"{'inline-header':>16}"
    )
    for kind in KINDS if 1 in sections else ():
        per = {c: [] for c in CONTEXTS}
        diffs = {c: [] for c in CONTEXTS[1:]}
        in_place = []  # inline - header, the margin of the default layout's context over none
        for i, song in enumerate(songs):
            cells = hole_of(song, kind)
            if cells is None:
                continue
            got = {}
            for context in ("full", "before", "header", "inline"):
                try:
                    bits, _tokens, notes = hole_bits(model, tok, song, cells, context)
                except RuntimeError:  # a bar longer than the context: left out (counted in the songs column)
                    continue
                if notes:
                    got[context] = bits / notes
            other = next(
                (
                    o
                    for o in (in_other(song, x, cells) for j, x in enumerate(songs) if j != i)
                    if o is not None
                ),
                None,
            )
            if other is not None:
                try:
                    bits, _tokens, notes = hole_bits(model, tok, other, cells, "full")
                except RuntimeError:
                    notes = 0
                if notes:
                    got["other"] = bits / notes
            if "inline" in got and "header" in got:
                in_place.append(got["inline"] - got["header"])
            if "full" not in got:
                continue
            for c, v in got.items():
                per[c].append(v)
                if c != "full":
                    diffs[c].append(v - got["full"])
        row = f"{kind:<9}{len(per['full']):>6}"
        for c in CONTEXTS:
            m, _sd, n = mean_sd(per[c])
            row += f"{m:>10.2f}" if n else f"{'-':>10}"
        for values in [diffs[c] for c in CONTEXTS[1:]] + [in_place]:
            m, sd, n = mean_sd(values)
            row += (
                f"{m:>+9.2f}±{sd:<5.2f}" + ("" if n == len(per["full"]) else f"({n})") if n else f"{'-':>16}"
            )
        print(row)

    ways = (
        (("inline", True),)
        if args.commands_only
        else (("fill", False), ("fill", True), ("inline", False), ("inline", True))
    )
    for layout, follow in ways * (2 in sections):
        how = "each bar on its own" if not follow else "following the song's repeats (fill's default)"
        where = "after the song (fill layout)" if layout == "fill" else "in place (add-channel's default)"
        mode = "fill's constraints" if args.constrained else "free"
        print(f"\n2. drums silenced and written again {where} (T={args.temperature:g}, {mode}; {how})")
        rep_gen, rep_real, pairs = 0, 0, 0
        by_bar = {"first bar": ([], []), "bars 2-8": ([], []), "bars 9-": ([], [])}
        by_rest = {
            "after the song's last note": ([], []),
            "the other channels silent, inside the song": ([], []),
            "the other channels sounding": ([], []),
        }
        # per draw: (written, original) drum onsets per bar of each song written
        per_draw: list[tuple[list[float], list[float]]] = [([], []) for _ in range(args.draws)]
        written: set[int] = set()
        for i, song in enumerate(songs):
            every = hole_of(song, "drums", to_last_note=False)  # the bars after the last note too
            if every is None:
                continue
            channel = every[0][1]
            silent = copy.deepcopy(song)
            for b, c in every:
                put_pattern(silent, c, b, None)
            cells = added_cells(silent, channel)  # as `fill --add-channel` writes: up to the last note
            original = onsets_per_bar(song, channel)
            original_notes = cell_notes(song, every)
            original_hit, _ = repeat_share(song, channel)
            for draw in range(args.draws):
                try:
                    result = fill_song(
                        model,
                        tok,
                        silent,
                        cells,
                        SamplingConfig(temperature=args.temperature, seed=i + 1000 * draw),
                        constraints=args.constrained,
                        new_channel=channel,  # written as an added channel is
                        follow_repeats=follow,
                        layout=layout,
                    )
                except RuntimeError as exc:
                    print(f"  song {i}, draw {draw + 1}: {exc}")
                    continue
                written.add(i)
                per_draw[draw][0].append(onsets_per_bar(result.song, channel))
                per_draw[draw][1].append(original)
                for (b, _c), w, r in zip(every, cell_notes(result.song, every), original_notes, strict=True):
                    group = by_bar["first bar" if b == 0 else "bars 2-8" if b < 8 else "bars 9-"]
                    group[0].append(w)
                    group[1].append(r)
                    if b >= len(cells):
                        group = by_rest["after the song's last note"]
                    elif any(notes_key(song, o, b) for o in range(song.channel_count) if o != channel):
                        group = by_rest["the other channels sounding"]
                    else:
                        group = by_rest["the other channels silent, inside the song"]
                    group[0].append(w)
                    group[1].append(r)
                hit, total = repeat_share(result.song, channel)
                rep_gen, rep_real, pairs = rep_gen + hit, rep_real + original_hit, pairs + total
        dens_gen = [d for gen, _real in per_draw for d in gen]
        dens_real = [d for _gen, real in per_draw for d in real]
        if dens_real:
            g, r = sum(dens_gen) / len(dens_gen), sum(dens_real) / len(dens_real)
            ratios = [abs(a / b - 1) for a, b in zip(dens_gen, dens_real, strict=True) if b]
            print(
                f"  songs {len(written)}{f' x {args.draws} draws ({len(dens_real)} written)' if args.draws > 1 else ''}: "
                f"drum onsets per bar {g:.2f} written vs {r:.2f} original ({(g - r) / r:+.0%}); per song "
                f"|ratio - 1| mean {sum(ratios) / len(dens_real):.0%}"
            )
            if args.draws > 1:
                each = [(sum(w) - sum(o)) / sum(o) for w, o in per_draw if w and sum(o)]
                print("  each draw: " + ", ".join(f"{d:+.0%}" for d in each))
            if pairs:
                print(
                    f"  where the other channels repeat ({pairs} bar pairs): written drums repeat in "
                    f"{rep_gen / pairs:.0%}, the original drums in {rep_real / pairs:.0%}"
                )
            print(f"  where the notes go: {where_notes_go(by_bar)}")
            print(f"  by what the song plays beside them: {where_notes_go(by_rest)}")

    for layout in ("fill", "inline") if 3 in sections else ():
        how = "fill layout, as `fill --bars` does" if layout == "fill" else "in place"
        print(
            f"\n3. bars written anew: the 4-bar span over all channels (section 1's) at T={args.temperature:g}, "
            f"free, following repeats ({how}); the span's statistics next to the original bars (mean over "
            "songs; a statistic a span cannot define is left out)"
        )
        filled_rows, real_rows = [], []
        by_bar = {f"hole bar {k + 1}": ([], []) for k in range(4)}
        for i, song in enumerate(songs):
            cells = hole_of(song, "span")
            if cells is None:
                continue
            first, end = cells[0][0], cells[-1][0] + 1
            sampling = SamplingConfig(temperature=args.temperature, seed=i)
            try:
                result = fill_song(
                    model, tok, song, cells, sampling, constraints=False, follow_repeats=True, layout=layout
                )
            except RuntimeError as exc:
                print(f"  song {i}: {exc}")
                continue
            filled_rows.append(song_stats(cut_bars(result.song, first, end)))
            real_rows.append(song_stats(cut_bars(song, first, end)))
            for (b, _c), w, r in zip(
                cells, cell_notes(result.song, cells), cell_notes(song, cells), strict=True
            ):
                by_bar[f"hole bar {b - first + 1}"][0].append(w)
                by_bar[f"hole bar {b - first + 1}"][1].append(r)
        filled, real = summarize(filled_rows), summarize(real_rows)
        print(f"  {len(real_rows)} songs   {'statistic':<22}{'filled':>9}{'original':>10}{'off by':>9}")
        for name in SPAN_STATS:
            off = (filled[name] - real[name]) / abs(real[name]) if real[name] else math.nan
            print(f"{'':12}{name:<22}{filled[name]:>9.2f}{real[name]:>10.2f}{off:>+9.0%}")
        print(f"  where the notes go, per cell: {where_notes_go(by_bar)}")

    if args.baseline_model and 4 in sections:
        base, base_tok, _ = load_generator(args.baseline_model, tracking)
        fill_bpn = total_bits_per_note(score_songs(model, tok, songs))
        base_bpn = total_bits_per_note(score_songs(base, base_tok, songs))
        print(
            f"\n4. whole test songs, total bits per note: with fill tasks {fill_bpn:.3f}, "
            f"without {base_bpn:.3f} ({(fill_bpn - base_bpn) / base_bpn:+.1%})"
        )


if __name__ == "__main__":
    main()
