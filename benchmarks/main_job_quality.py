"""Bits per note of the main job's model on songs it never saw, next to the n-gram baseline on the same
tokens, and the padding share of its training batches; the figures docs/generate.md states.

    .venv/bin/python benchmarks/main_job_quality.py [--data-dir beepbrain-data]   # after `beepbrain run`
    .venv/bin/python benchmarks/main_job_quality.py --songs SONGS.jsonl[.zst]    # and songs of your own

Songs it never saw: the dataset's test split (split by content, so no copy of them is in train) and edited
copies of those songs no corpus holds (every pitch-channel note moved up two semitones inside the song's
key, and the bars rotated by a quarter of the song). Scoring sees whole songs (``scoring_windows``: every
token with its song's header and the patterns it names in view). The n-gram (order picked on val) is fitted
on the same dataset's train split and scores the same songs' streams.

``--songs FILE`` (archive records or one song a line) adds a third set: real songs no corpus of the project
holds. Songs the codec or the tokenizer cannot take, and songs whose content is in the dataset's train
split, are counted and left out.
"""

from __future__ import annotations

import argparse
import copy
from pathlib import Path


def edited(song):
    """A copy no corpus holds: pitch-channel notes two semitones up where they stay in range, bars rotated."""
    from beepbrain.format import parse_song

    out = copy.deepcopy(song)
    for c, channel in enumerate(out.channels):
        if out.is_noise_channel(c):
            continue
        for pattern in channel.patterns:
            if all(
                max(n.pitches) + 2 + max(0, *(pin.interval for pin in n.pins)) <= 84 for n in pattern.notes
            ):
                for note in pattern.notes:
                    note.pitches = [p + 2 for p in note.pitches]
    shift = max(1, out.bar_count // 4)
    for channel in out.channels:
        channel.bars = channel.bars[shift:] + channel.bars[:shift]
    return parse_song(out.to_url())


def hidden_refs(tokenizer, split, block_size: int) -> tuple[int, int]:
    """(REF tokens that ``scoring_windows`` scores in windows from a later bar, those of them that name a
    pattern the window pins by ``HIDE_n``: numbered, its notes out of view)."""
    from beepbrain.generate.evaluate import scoring_windows
    from beepbrain.tokens.pattern_stream import is_hidden
    from beepbrain.tokens.specials import BOS

    vocab = tokenizer.vocab
    refs = hidden = 0
    for song, cond in zip(split.songs, split.cond, strict=True):
        for window, first, end in scoring_windows(tokenizer, song, cond, block_size):
            if window[0] != BOS or first <= 1:
                continue
            grammar = tokenizer.grammar(cond, beats_per_bar=None)
            grammar.relax(True)  # a given view: its pinned rows are accepted
            for i, t in enumerate(window[:end]):
                if i >= first and vocab.is_family(t, "REF"):
                    refs += 1
                    body = grammar.stream.body_of(int(vocab.value[t]))
                    hidden += is_hidden(body)
                grammar.advance(t)
    return refs, hidden


def outside_songs(path: Path, tokenizer=None, train=None) -> list:
    """The songs of an archive file or song list (``read_song_strings``) that the codec reads, and the
    tokenizer encodes where one is given, less those whose tokens a song of ``train`` (a split) has; says
    how many it left out."""
    from beepbrain.format import parse_song
    from beepbrain.tokens.stats import read_song_strings

    seen = {tuple(int(t) for t in song) for song in train.songs} if train is not None else set()
    songs, refused, known = [], 0, 0
    for _sid, text in read_song_strings(path):
        try:
            song = parse_song(text)
            tokens = tuple(int(t) for t in tokenizer.encode(song).tokens) if tokenizer is not None else ()
        except Exception:  # noqa: BLE001 - a song the codec or tokenizer refuses is left out, counted
            refused += 1
            continue
        if tokens and tokens in seen:
            known += 1
            continue
        songs.append(song)
    print(f"{path}: {len(songs)} songs; left out: {refused} the codec or tokenizer refused, {known} in train")
    return songs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="beepbrain-data")
    parser.add_argument("--model", default="models:/beepbrain/latest")
    parser.add_argument("--dataset", default="sample")
    parser.add_argument(
        "--contexts",
        type=lambda text: [int(x) for x in text.split(",") if x],
        default=[768, 1024],
        help="other context lengths to count hidden REFs at (the windows only; no model of that size)",
    )
    parser.add_argument(
        "--songs", type=Path, default=None, help="also score this archive file's (or song list's) songs"
    )
    args = parser.parse_args()

    import numpy as np

    from beepbrain import settings
    from beepbrain.generate.evaluate import fit_baseline, load_split, ngram_bits, song_bits
    from beepbrain.generate.stats import played_notes
    from beepbrain.tokens.loader import WindowLoader, pad_share
    from beepbrain.tokens.pattern_stream import pinned_mask
    from beepbrain.tokens.shards import read_manifest
    from beepbrain.train.registry import load_model

    data = Path(args.data_dir)
    dataset = data / "datasets" / args.dataset
    manifest = read_manifest(dataset)
    model, tokenizer, _info = load_model(args.model, settings.tracking_uri(data))
    T = model.config.block_size
    loader = WindowLoader(dataset, "train", block_size=T, batch_size=8, seed=0)
    shares, pinned = [], []
    for step in range(50):
        x, y, _cond = loader.get_batch_numpy(step)
        shares.append(pad_share(y))
        pinned.append(float(np.mean([pinned_mask(row, tokenizer.vocab)[1:].mean() for row in x])))
    print(
        f"training batches ({T}-token rows of packed windows): {100 * float(np.mean(shares)):.1f}% of "
        f"positions are not targets, {100 * float(np.mean(pinned)):.1f}% pinned rows (given context), the "
        f"rest song boundaries (mean of 50 batches; no padding)"
    )

    ngram = fit_baseline(dataset, manifest["vocab_size"], 0, 200_000, lambda _m: None)
    test = load_split(dataset, "test")
    for context in sorted({T, *args.contexts}):
        refs, hidden = hidden_refs(tokenizer, test, context)
        print(
            f"test split's later windows at a {context}-token context{' (the model)' if context == T else ''}: "
            f"{refs} REF tokens scored, {hidden} ({100 * hidden / max(refs, 1):.0f}%) name a pattern pinned by "
            f"HIDE (numbered in view, its notes out of it)"
        )
    songs = [tokenizer.decode(t, c) for t, c in zip(test.songs, test.cond, strict=True)]
    copies = [edited(s) for s in songs]
    sets = {"test split": songs, "edited copies": copies}
    if args.songs is not None:
        sets[f"outside ({args.songs.name})"] = outside_songs(
            args.songs, tokenizer, load_split(dataset, "train")
        )
    for name, group in sets.items():
        encoded = [tokenizer.encode(s) for s in group]
        toks = [e.tokens for e in encoded]
        conds = [e.conditioning for e in encoded]
        bits = song_bits(model, tokenizer, toks, conds)
        notes = sum(played_notes(s) for s in group)
        split = type(test)(toks, conds)
        n_total, _n = ngram_bits(ngram, split)
        per = bits / np.maximum([played_notes(s) for s in group], 1)
        print(
            f"{name}: {len(group)} songs, {notes:,} notes: model {bits.sum() / notes:.3f} bits/note "
            f"(songs' spread: median {np.median(per):.2f}, IQR {np.percentile(per, 25):.2f}-"
            f"{np.percentile(per, 75):.2f}), n-gram (order {ngram.order}) {n_total / notes:.3f}: "
            f"model {100 * (1 - bits.sum() / n_total):.0f}% below"
        )


if __name__ == "__main__":
    main()
