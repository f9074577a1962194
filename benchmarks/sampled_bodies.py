"""Why the model's songs are sparser than real ones: one pattern at a time, in its real song's context.

    .venv/bin/python benchmarks/sampled_bodies.py [--data-dir beepbrain-data] [--model models:/beepbrain/latest]
        [--per-song 30] [--temperatures 1.0,0.85] [--seed 0] [--split test|train|val]

On the dataset's test split (songs the model never saw), for drum and pitch channels apart:
1. Teacher-forced, inside the pattern bodies (``NEW`` .. ``END``) that the song's first context holds: the
   expected count of each kind of token (the sum of the model's probabilities of an ``END``, a note start
   ``POS``, a pitch ``P``/``D``) next to how many the songs write. Near 1.00 the model is calibrated on
   real songs: how many notes and chord pitches it expects in total is right. Beside it, the item decision:
   the model's mean probability that a channel's next bar is silent (``EMPTY``), after a bar where the
   channel sounded, after a silent one that has not sounded yet and after one that broke off (silent after
   sounding earlier), next to how often the songs fall silent there. And after a
   note's last pin: the model's probability that the next note starts where this one ended (legato),
   later (a gap), or that the pattern ends, next to what the songs do.
2. Sampled: at ``--per-song`` random pattern starts (``NEW``) of each test song, the song's own tokens up to
   there as context, one body written by the model (temperature T, the grammar's validity only) next to the
   real body: note onsets per body, the last onset's place in the bar, pitches per note (chords), a
   pitch note's length in parts and the share of notes followed by one that starts where it ends.
   Where (1) is calibrated and (2) writes fewer onsets (or chords), they are lost in sampling a body step
   by step, not in the song's context.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="beepbrain-data")
    parser.add_argument("--model", default="models:/beepbrain/latest")
    parser.add_argument("--dataset", default=None, help="default: the model's own dataset")
    parser.add_argument(
        "--per-song", type=int, default=30, help="pattern starts drawn per song (at most all)"
    )
    parser.add_argument("--temperatures", default="1.0,0.85")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--split", default="test", help="the songs: test (unseen), or train to see what the model learned"
    )
    args = parser.parse_args()

    import numpy as np
    import torch

    from beepbrain import settings
    from beepbrain.generate.evaluate import load_split
    from beepbrain.generate.sampling import SamplingConfig, choose
    from beepbrain.tokens.pattern_stream import split_stream
    from beepbrain.tokens.pattern_vocab import EMPTY, END, MAX_PARTS, NEW
    from beepbrain.train.registry import load_model

    data = Path(args.data_dir)
    model, tokenizer, info = load_model(args.model, settings.tracking_uri(data))
    if not tokenizer.HAS_HEADER:
        raise SystemExit("this benchmark reads pattern bodies: the model's tokenizer must be the pattern one")
    name = args.dataset or info.get("manifest", {}).get("name", "sample")
    test = load_split(data / "datasets" / str(name), args.split)
    model.eval()
    vocab = tokenizer.vocab
    T = int(model.config.block_size)
    family = np.array([vocab.family[t] for t in range(model.config.vocab_size)])
    kinds = {k: vocab.family_index[k] for k in ("POS", "DUR", "P", "D")}
    onset_ids = np.arange(*vocab.span("POS"))
    print(
        f"model {args.model} (version {info.get('version')}); {len(test.songs)} {args.split} songs of {name}"
    )

    def logits_of(context, cond):
        with torch.no_grad():
            out, _ = model(torch.tensor([context]), torch.from_numpy(cond.vector()[None]))
        return out[0].float()

    def channel_kind(grammar, cond) -> str:
        return "drum" if grammar.stream.channel >= cond.pitch_channels else "pitch"

    # 1. teacher-forced expected counts inside bodies
    expected = {(k, t): 0.0 for k in ("drum", "pitch") for t in ("END", "POS", "pitch")}
    actual = dict.fromkeys(expected, 0)
    silence = {
        (k, prev): [0.0, 0, 0] for k in ("drum", "pitch") for prev in ("sounded", "was silent", "broke off")
    }  # broke off: silent after sounding earlier in the song
    after_note = {}  # kind -> P(legato), P(later), P(END), notes, then legato, gap, end as written
    by_bar = {}  # (what the bar before did, bars 1 / 2-3 / 4-7 / 8+) -> [sum P(EMPTY), silent, items]
    for song, cond in zip(test.songs, test.cond, strict=True):
        toks = [int(t) for t in song[: T + 1]]
        probs = torch.softmax(logits_of(toks[:-1], cond), -1).numpy()
        parts = split_stream(toks, vocab, cond.channels)
        for bar, channel, first, _end in parts.spans:  # the item decision: does the channel fall silent?
            if bar and first:
                kind = "drum" if channel >= cond.pitch_channels else "pitch"
                if parts.bars[bar - 1][channel]:
                    prev = "sounded"
                else:
                    earlier = any(parts.bars[b][channel] for b in range(bar - 1))
                    prev = "broke off" if earlier else "was silent"
                when = "1" if bar == 1 else "2-3" if bar < 4 else "4-7" if bar < 8 else "8+"
                for row in (silence[(kind, prev)], by_bar.setdefault((prev, when), [0.0, 0, 0])):
                    row[0] += float(probs[first - 1][EMPTY])
                    row[1] += toks[first] == EMPTY
                    row[2] += 1
        grammar = tokenizer.grammar(cond, beats_per_bar=None)
        grammar.relax(True)
        inside = False
        start = length = None  # the note being read: its position, its latest pin
        for i, t in enumerate(toks):
            if (
                inside
                and start is not None
                and length is not None
                and (family[t] == kinds["POS"] or t == END)
            ):
                kind = channel_kind(grammar, cond)
                end, p = start + length, probs[i - 1]
                row = after_note.setdefault(kind, np.zeros(7))
                row[:4] += (
                    p[onset_ids[end]] if end < len(onset_ids) else 0.0,
                    p[onset_ids[end + 1 :]].sum() if end + 1 < len(onset_ids) else 0.0,
                    p[END],
                    1,
                )
                written = "legato" if t != END and vocab.value[t] == end else "gap" if t != END else "end"
                row[4 + ("legato", "gap", "end").index(written)] += 1
            if family[t] == kinds["POS"]:
                start, length = int(vocab.value[t]), None
            elif family[t] == kinds["DUR"]:
                length = int(vocab.value[t])
            elif t in (NEW, END):
                start = length = None
            if i and inside:
                kind = channel_kind(grammar, cond)
                pitch = kinds["D" if kind == "drum" else "P"]
                p = probs[i - 1]
                expected[(kind, "END")] += float(p[END])
                expected[(kind, "POS")] += float(p[family == kinds["POS"]].sum())
                expected[(kind, "pitch")] += float(p[family == pitch].sum())
                actual[(kind, "END")] += t == END
                actual[(kind, "POS")] += family[t] == kinds["POS"]
                actual[(kind, "pitch")] += family[t] == pitch
            inside = t == NEW or (inside and t != END)
            grammar.advance(t)
    print("\n1. teacher-forced inside pattern bodies (the songs' first contexts): expected vs written")
    for (kind, what), e in expected.items():
        a = actual[(kind, what)]
        print(f"  {kind:5} {what:5}: expected {e:8.1f}, written {a:6d}, ratio {e / max(a, 1):.3f}")
    print(
        "  the item decision, teacher-forced: P(EMPTY) for a channel's next bar, by what it did in the bar before"
    )
    for (kind, prev), (p_sum, empty, n) in silence.items():
        print(
            f"  {kind:5} after a bar that {prev:10}: mean P(EMPTY) {p_sum / max(n, 1):.3f}, "
            f"silent in the songs {empty / max(n, 1):.3f} ({n} items)"
        )

    print("  after a note's last pin: the next note where it ended / later, or the pattern's end")
    for kind, (legato, later, end, n, w_legato, w_gap, w_end) in sorted(after_note.items()):
        print(
            f"  {kind:5} ({int(n)} notes): model {legato / n:.3f} / {later / n:.3f} / {end / n:.3f}, "
            f"the songs {w_legato / n:.3f} / {w_gap / n:.3f} / {w_end / n:.3f}"
        )
    print("  the same by the song's bar (both kinds of channel): where in the song the decision goes wrong")
    order = ("1", "2-3", "4-7", "8+")
    for (prev, when), (p_sum, empty, n) in sorted(
        by_bar.items(), key=lambda kv: (kv[0][0], order.index(kv[0][1]))
    ):
        print(
            f"  after a bar that {prev:10}, bar {when:3}: mean P(EMPTY) {p_sum / max(n, 1):.3f}, "
            f"silent in the songs {empty / max(n, 1):.3f} ({n} items)"
        )

    def shape(body, drum: bool) -> tuple[int, int, int]:
        """(total length in parts, notes followed by one that starts where they end, notes) of a body."""
        notes, _ = tokenizer._read_notes(list(body), 0, MAX_PARTS, drum)
        ends = [start + pins[-1][0] for start, _p, _t, pins in notes]
        legato = sum(end == nxt[0] for end, nxt in zip(ends, notes[1:], strict=False))
        return sum(end - n[0] for end, n in zip(ends, notes, strict=True)), legato, len(notes)

    # 2. one body sampled in its real context
    print("\n2. one pattern body sampled in its real context vs the real body (mean over bodies)")
    pos = kinds["POS"]
    for temperature in [float(x) for x in args.temperatures.split(",") if x]:
        rng = np.random.default_rng(args.seed)
        cfg = SamplingConfig(temperature=temperature, seed=args.seed)
        rows = {"drum": [], "pitch": []}
        for song, cond in zip(test.songs, test.cond, strict=True):
            toks = [int(t) for t in song]
            starts = [i for i, t in enumerate(toks) if t == NEW and i < T - 128]
            for s in (
                rng.choice(starts, size=min(args.per_song, len(starts)), replace=False) if starts else []
            ):
                grammar = tokenizer.grammar(cond, beats_per_bar=None)
                grammar.relax(True)
                for t in toks[: s + 1]:
                    grammar.advance(t)
                kind = channel_kind(grammar, cond)
                grammar.relax(False)
                real = toks[s + 1 : toks.index(END, s)]
                context = toks[: s + 1]
                while len(context) < T:
                    t = choose(logits_of(context, cond)[-1].numpy(), grammar.mask(), cfg, rng)
                    grammar.advance(t)
                    if t == END:
                        break
                    context.append(t)
                wrote = context[s + 1 :]

                def onsets(body):
                    return [int(vocab.value[t]) for t in body if family[t] == pos]

                pitch_family = kinds["D" if kind == "drum" else "P"]

                def pitches(body, pitch_family=pitch_family):
                    return sum(1 for t in body if family[t] == pitch_family)

                rows[kind].append(
                    (
                        len(onsets(real)),
                        len(onsets(wrote)),
                        *(max(onsets(b), default=0) for b in (real, wrote)),
                        pitches(real),
                        pitches(wrote),
                        *shape(real, kind == "drum"),
                        *shape(wrote, kind == "drum"),
                    )
                )
        for kind, got in rows.items():
            if not got:
                continue
            r, w, last_r, last_w, p_r, p_w = (np.mean([g[k] for g in got]) for k in range(6))
            length_r, legato_r, notes_r, length_w, legato_w, notes_w = (
                sum(g[k] for g in got) for k in range(6, 12)
            )
            length_r, legato_r = length_r / max(1, notes_r), legato_r / max(1, notes_r)
            length_w, legato_w = length_w / max(1, notes_w), legato_w / max(1, notes_w)
            print(
                f"  T={temperature:g} {kind:5} ({len(got)} bodies): onsets {w:.2f} written vs {r:.2f} real "
                f"({100 * (w - r) / max(r, 1e-9):+.0f}%); last onset at part {last_w:.0f} vs {last_r:.0f}; "
                f"pitches per note {p_w / max(w, 1e-9):.2f} vs {p_r / max(r, 1e-9):.2f}; note length "
                f"{length_w:.1f} vs {length_r:.1f} parts; legato {legato_w:.2f} vs {legato_r:.2f}"
            )


if __name__ == "__main__":
    main()
