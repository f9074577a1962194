"""What the model does at a note's end and at a silent channel, next to what the songs do: the figures
docs/train.md states for note ends and breaks.

    .venv/bin/python benchmarks/note_shape.py [--data-dir beepbrain-data] [--model models:/beepbrain/latest]
        [--split test|train]

1. Teacher-forced on the split's songs (each song's first context): after a pitch note's last pin, the
   model's probability that the next note starts where the note ended, and the share of notes the songs
   start there; after each note, P(END) by the beats its bar has left, next to how often the songs end
   the pattern there (drum and pitch channels apart); and a channel's bar item after a bar it played:
   the model's probability of the same pattern again (the REF of the bar before's), another REF, NEW and
   EMPTY, next to the share of items the songs write so.
2. From the split's songs alone (no model): how often a channel's next bar is silent after a silent bar,
   where the channel has not sounded yet in the song and where it has (a break); and the note starts of
   a channel's first drum pattern against its later new ones.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="beepbrain-data")
    parser.add_argument("--model", default="models:/beepbrain/latest")
    parser.add_argument("--split", default="test")
    args = parser.parse_args()

    import numpy as np
    import torch

    from beepbrain import settings
    from beepbrain.generate.evaluate import load_split
    from beepbrain.tokens.pattern_stream import split_stream
    from beepbrain.tokens.pattern_vocab import EMPTY, END, NEW, PARTS_PER_BEAT
    from beepbrain.train.registry import load_model

    data = Path(args.data_dir)
    model, tok, info = load_model(args.model, settings.tracking_uri(data))
    split = load_split(data / "datasets" / info["manifest"]["name"], args.split)
    model.eval()
    v, T = tok.vocab, model.config.block_size
    family = np.array([v.family[t] for t in range(model.config.vocab_size)])
    value = np.array([v.value[t] for t in range(model.config.vocab_size)])
    POS, DUR, D, BEATS = (v.family_index[k] for k in ("POS", "DUR", "D", "BEATS"))
    onset_ids = np.arange(*v.span("POS"))

    legato = [0.0, 0, 0]  # P(next note where the last ended), songs that do it, pitch notes
    ends: dict[tuple[str, str], list] = {}  # (kind, beats left) -> [P(END), END written, notes]
    after_sound: dict[str, np.ndarray] = {}  # kind -> (P, written) of same / other REF / NEW / EMPTY, items
    refs = np.arange(*v.span("REF"))
    for song, cond in zip(split.songs, split.cond, strict=True):
        toks = [int(t) for t in song[: T + 1]]
        bar = next(int(value[t]) for t in toks if family[t] == BEATS) * PARTS_PER_BEAT
        with torch.no_grad():
            logits, _ = model(torch.tensor([toks[:-1]]), torch.from_numpy(cond.vector()[None]))
        probs = torch.softmax(logits[0].float(), -1).numpy()
        parts = split_stream(toks, v, cond.channels)
        for b, channel, a, _z in parts.spans:  # the item decision after a bar the channel played
            before = parts.bars[b - 1][channel] if b else None
            if not before:
                continue
            same = v.id_of("REF", parts.tables[channel].index(before) + 1)
            p, t = probs[a - 1], toks[a]
            other = float(p[refs].sum() - p[same])
            row = after_sound.setdefault("drum" if channel >= cond.pitch_channels else "pitch", np.zeros(9))
            row += (
                p[same],
                t == same,
                other,
                t in refs and t != same,
                p[NEW],
                t == NEW,
                p[EMPTY],
                t == EMPTY,
                1,
            )
        start = length = kind = None
        for i, t in enumerate(toks):
            if start is not None and length is not None and (family[t] == POS or t == END):
                end, p = start + length, probs[i - 1]
                left = bar - end
                group = "0" if left <= 0 else "1" if left <= 24 else "2" if left <= 48 else "more than 2"
                row = ends.setdefault((kind, group), [0.0, 0, 0])
                row[0] += float(p[END])
                row[1] += t == END
                row[2] += 1
                if kind == "pitch":
                    legato[0] += float(p[onset_ids[end]]) if end < len(onset_ids) else 0.0
                    legato[1] += t != END and value[t] == end
                    legato[2] += 1
            if family[t] == POS:
                start, length = int(value[t]), None
            elif family[t] == DUR:
                length = int(value[t])
            elif t in (NEW, END):
                start = length = None
            if t == NEW:
                kind = None
            elif kind is None and family[t] in (D, v.family_index["P"]):
                kind = "drum" if family[t] == D else "pitch"
    print(f"model {args.model} (version {info.get('version')}); {len(split.songs)} {args.split} songs")
    print("\n1. teacher-forced")
    p, n, notes = legato
    print(
        f"  after a pitch note: P(the next note starts where it ended) {p / max(notes, 1):.3f}, "
        f"the songs {n / max(notes, 1):.3f} ({notes} notes)"
    )
    for (kind, group), (p_end, written, notes) in sorted(ends.items()):
        print(
            f"  {kind:5} note, {group:>11} beats of the bar left: P(END) {p_end / notes:.3f}, "
            f"the songs {written / notes:.3f} ({notes} notes)"
        )
    for kind, row in sorted(after_sound.items()):
        n = row[-1]
        print(
            f"  {kind:5} item after a bar the channel played ({int(n)}): the same pattern / another REF / NEW / "
            f"EMPTY: model {row[0] / n:.3f} / {row[2] / n:.3f} / {row[4] / n:.3f} / {row[6] / n:.3f}, "
            f"the songs {row[1] / n:.3f} / {row[3] / n:.3f} / {row[5] / n:.3f} / {row[7] / n:.3f}"
        )

    stay: dict[tuple[str, str], list] = {}
    first, later = [], []
    for song, cond in zip(split.songs, split.cond, strict=True):
        toks = [int(t) for t in song]
        parts = split_stream(toks, v, cond.channels)
        sounded: set[int] = set()
        for b, channel, a, z in parts.spans:
            kind = "drum" if channel >= cond.pitch_channels else "pitch"
            if b and not parts.bars[b - 1][channel]:
                row = stay.setdefault((kind, "a break" if channel in sounded else "not sounded yet"), [0, 0])
                row[0] += toks[a] == EMPTY
                row[1] += 1
            if parts.bars[b][channel]:
                sounded.add(channel)
            if kind == "drum" and toks[a] == NEW:
                onsets = int(sum(family[t] == POS for t in toks[a:z]))
                (later if (channel, "new") in sounded else first).append(onsets)
                sounded.add((channel, "new"))
    print("\n2. the songs")
    for (kind, what), (silent, n) in sorted(stay.items()):
        print(f"  {kind:5} channel silent, {what:15}: its next bar silent {silent / n:.3f} ({n} bars)")
    print(
        f"  note starts of a channel's first drum pattern {np.mean(first):.2f} ({len(first)}), of its later "
        f"new ones {np.mean(later):.2f} ({len(later)})"
    )


if __name__ == "__main__":
    main()
