"""Where two models' bits go: the bits of the dataset's test songs split by the kind of token scored.

    .venv/bin/python benchmarks/bits_by_kind.py --data-dir DIR --models models:/beepbrain/1,models:/beepbrain/3

Every token is scored as ``evaluate.song_bits`` scores it (``scoring_windows``: its song's header and the
patterns it names in view), and its bits are summed by the token's kind: its vocabulary family (``POS``,
``P``, ``DUR``, ``REF`` ...) or, for a special token, its name (``EMPTY``, ``NEW``, ``END``, ``BAR`` ...).
Prints one column per model and the difference of the last against the first, so a change that moves
bits from one kind of token to another (the item decision against the pattern bodies) shows where.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="beepbrain-data")
    parser.add_argument("--models", required=True, help="comma-separated model URIs of the same dataset")
    parser.add_argument("--dataset", default=None, help="default: the first model's own dataset")
    parser.add_argument("--split", default="test")
    args = parser.parse_args()

    from collections import defaultdict

    import torch
    import torch.nn.functional as F

    from beepbrain import settings
    from beepbrain.generate.evaluate import LN2, load_split, scoring_windows
    from beepbrain.train.registry import load_model

    data = Path(args.data_dir)
    uris = [u for u in args.models.split(",") if u]
    columns: list[dict[str, float]] = []
    counts: dict[str, int] = defaultdict(int)
    for n, uri in enumerate(uris):
        model, tokenizer, info = load_model(uri, settings.tracking_uri(data))
        model.eval()
        name = args.dataset or info.get("manifest", {}).get("name", "sample")
        songs = load_split(data / "datasets" / str(name), args.split)
        vocab = tokenizer.vocab
        families = [f for f, _lo, _hi in vocab.families]

        def kind(token: int, vocab=vocab, families=families) -> str:
            f = int(vocab.family[token])
            return families[f] if f >= 0 else vocab.names[token]

        bits: dict[str, float] = defaultdict(float)
        T = int(model.config.block_size)
        for song, cond in zip(songs.songs, songs.cond, strict=True):
            c = torch.from_numpy(cond.vector()[None])
            for window, first, end in scoring_windows(tokenizer, song, cond, T):
                with torch.no_grad():
                    logits, _ = model(torch.tensor([window[:-1]]), c)
                nats = F.cross_entropy(logits[0].float(), torch.tensor(window[1:]), reduction="none")
                for i in range(first, end):
                    k = kind(int(window[i]))
                    bits[k] += float(nats[i - 1]) / LN2
                    if n == 0:
                        counts[k] += 1
        columns.append(bits)
        print(f"{uri}: {sum(bits.values()):,.1f} bits over {len(songs.songs)} {args.split} songs of {name}")

    kinds = sorted(set().union(*columns), key=lambda k: -columns[0].get(k, 0.0))
    print(
        f"\n{'kind':10} {'tokens':>7} "
        + " ".join(f"{'model ' + str(i + 1):>10}" for i in range(len(uris)))
        + "  last - first"
    )
    for k in kinds:
        values = [col.get(k, 0.0) for col in columns]
        print(
            f"{k:10} {counts.get(k, 0):7d} "
            + " ".join(f"{v:10.1f}" for v in values)
            + f"  {values[-1] - values[0]:+10.1f}"
        )
    totals = [sum(col.values()) for col in columns]
    print(
        f"{'all':10} {sum(counts.values()):7d} "
        + " ".join(f"{v:10.1f}" for v in totals)
        + f"  {totals[-1] - totals[0]:+10.1f}"
    )


if __name__ == "__main__":
    main()
