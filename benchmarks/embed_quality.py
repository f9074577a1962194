"""What the pattern vectors mean, measured on held-out songs (docs/embed.md quotes its output).

1. Trains the encoder on the catalog's songs less a held-out fraction (by song id), as `beepbrain embed`
   does (same defaults), in a scratch MLflow store.
2. Retrieval: every held-out pattern with 2+ notes gets lightly edited (one note moved, removed or added)
   and, for pitched channels, transposed by +-2..5 semitones; each copy queries the whole corpus's distinct
   patterns, and recall@1/@10 says how often the original ranks first / in the top 10 (rank = 1 + the
   patterns scoring strictly higher, so a pattern identical up to transposition does not push it down).
3. Graded similarity: Spearman correlation between cosine similarity and the Jaccard overlap of
   (onset, pitch) pairs, on random pairs of held-out patterns of the same kind.
4. The same for the no-training baseline: the flattened absolute-pitch grid, cosine.
5. Each catalog song gets a +2-semitone copy under another author, ingested and embedded; `similar` on
   each original: how often its copy comes first (for the held-out songs, and for all).

    python benchmarks/embed_quality.py [--data-dir DIR | --archive FILE] [--steps N] [--no-copies]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def onset_pitch_set(notes: np.ndarray) -> set[tuple[int, int]]:
    return {(int(s), int(p)) for s, _e, p in notes.tolist()}


def jaccard(a: set, b: set) -> float:
    return len(a & b) / max(1, len(a | b))


def shifted_jaccard(a: np.ndarray, b: np.ndarray, is_noise: bool) -> float:
    """The best Jaccard of (onset, pitch) pairs over transpositions of b by -12..12 (none for drums)."""
    sa = onset_pitch_set(a)
    shifts = [0] if is_noise else range(-12, 13)
    return max(jaccard(sa, {(s, p + k) for s, p in onset_pitch_set(b)}) for k in shifts)


def baseline_matrix(patterns):
    from scipy.sparse import csr_matrix

    from beepbrain.embed.grid import flat_grid

    rows, cols = [], []
    for i, p in enumerate(patterns):
        nz = np.flatnonzero(flat_grid(p.notes, p.is_noise))
        rows.extend([i] * len(nz))
        cols.extend(nz.tolist())
    m = csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(len(patterns), 96 * 140))
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    norms[norms == 0] = 1
    from scipy.sparse import diags

    return diags(1 / norms) @ m


def recall(scores: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Rank of each query's target: 1 + how many database rows score strictly higher."""
    best = scores[np.arange(len(target)), target]
    return 1 + (scores > best[:, None] + 1e-6).sum(axis=1)


def archive_of(source: str, scratch: Path) -> str:
    """``source`` itself, or for a folder of .url files an archive of them (author `generated`)."""
    folder = Path(source)
    if not folder.is_dir():
        return source
    urls = sorted(folder.glob("*.url"))
    if not urls:
        raise SystemExit(f"no .url files in {folder}")
    out = scratch / "songs.jsonl"
    with out.open("w") as f:
        for path in urls:
            url = path.read_text().strip()
            f.write(
                json.dumps(
                    {
                        "author": "generated",
                        "type": "beepbox",
                        "content": "",
                        "url": url,
                        "data": url.split("#", 1)[-1],
                    }
                )
                + "\n"
            )
    print(f"archive of {len(urls)} songs from {folder}")
    return str(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--data-dir",
        help="a data dir with an ingested catalog (default: the bundled sample, ingested into a scratch dir)",
    )
    ap.add_argument(
        "--archive",
        help="songs the project has never seen, ingested into the scratch dir instead of "
        "the bundled sample: an archive (JSON lines) or a folder of .url files (as "
        "`beepbrain generate --out` writes them)",
    )
    ap.add_argument("--steps", type=int, default=None, help="training steps (default: EmbedTrainConfig's)")
    ap.add_argument("--holdout", type=float, default=0.15)
    ap.add_argument(
        "--temperature", type=float, default=None, help="InfoNCE temperature (default: the config's)"
    )
    ap.add_argument("--pairs", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-copies", action="store_true", help="skip the transposed-copy check")
    args = ap.parse_args()

    import torch
    from scipy.stats import spearmanr

    from beepbrain.corpus.ingest import ingest
    from beepbrain.embed.augment import edit, transpose
    from beepbrain.embed.corpus import catalog_songs, is_held_out, unique_patterns
    from beepbrain.embed.grid import PatternNotes
    from beepbrain.embed.tracked import train_and_register
    from beepbrain.embed.train import EmbedTrainConfig
    from beepbrain.embed.vectors import encode

    torch.set_num_threads(2)
    scratch = Path(tempfile.mkdtemp(prefix="embed-quality-"))
    data = Path(args.data_dir) if args.data_dir else scratch / "data"
    if not (data / "corpus.duckdb").exists():
        ingest(archive_of(args.archive, scratch) if args.archive else None, data)
    cfg = EmbedTrainConfig(holdout=args.holdout, seed=args.seed)
    if args.steps:
        cfg.steps = args.steps
    if args.temperature:
        cfg.temperature = args.temperature
    uri = f"sqlite:///{scratch / 'mlflow.db'}"
    trained = train_and_register(data, cfg, uri, register=False, log=lambda *a: None)
    model = trained["model"]
    print(
        f"trained {trained['steps']} steps on {trained['patterns']:,} patterns in {trained['seconds']:.0f}s "
        f"(final loss {trained['final_loss']:.3f}, {model.num_params():,} parameters)"
    )

    db = unique_patterns(catalog_songs(data))
    patterns = [p for _sid, p in db]
    held = [i for i, (sid, p) in enumerate(db) if is_held_out(sid, args.holdout) and len(p.notes) >= 2]
    print(f"corpus: {len(patterns):,} distinct patterns; held out (2+ notes): {len(held):,}")
    t0 = time.perf_counter()
    vec = encode(model, patterns)
    base = baseline_matrix(patterns)
    print(f"encoded the corpus in {time.perf_counter() - t0:.1f}s")

    rng = np.random.default_rng(args.seed)
    kinds = ["move", "remove", "add", "transpose"]
    print(f"\nretrieval of the original among {len(patterns):,} patterns (recall@1 / recall@10)")
    print(f"{'query':<12}{'queries':>8}{'model':>18}{'flat grid':>18}")
    for kind in kinds:
        queries, targets = [], []
        for i in held:
            p = patterns[i]
            if kind == "transpose":
                if p.is_noise:
                    continue
                shift = int(rng.integers(2, 6)) * (1 if rng.random() < 0.5 else -1)
                q = transpose(p.notes, shift)
            else:
                q = edit(p.notes, kind, rng)
            queries.append(PatternNotes(p.channel, p.pattern, p.is_noise, q))
            targets.append(i)
        targets = np.array(targets)
        qv = encode(model, queries)
        ranks_m = recall(qv @ vec.T, targets)
        qb = baseline_matrix(queries)
        ranks_b = recall((qb @ base.T).toarray(), targets)
        print(
            f"{kind:<12}{len(queries):>8}"
            f"{(ranks_m <= 1).mean():>9.3f} /{(ranks_m <= 10).mean():>6.3f}"
            f"{(ranks_b <= 1).mean():>9.3f} /{(ranks_b <= 10).mean():>6.3f}"
        )

    pairs_j, pairs_s, pairs_m, pairs_b = [], [], [], []
    by_kind = {k: [i for i in held if patterns[i].is_noise == k] for k in (False, True)}
    for _ in range(args.pairs):
        group = by_kind[bool(rng.random() < 0.3)] or by_kind[False]
        a, b = rng.choice(group, size=2, replace=False)
        pairs_j.append(jaccard(onset_pitch_set(patterns[a].notes), onset_pitch_set(patterns[b].notes)))
        pairs_s.append(shifted_jaccard(patterns[a].notes, patterns[b].notes, patterns[a].is_noise))
        pairs_m.append(float(vec[a] @ vec[b]))
        pairs_b.append(float((base[a] @ base[b].T).toarray()[0, 0]))
    rho_m, rho_b = spearmanr(pairs_j, pairs_m)[0], spearmanr(pairs_j, pairs_b)[0]
    nonzero = np.array(pairs_j) > 0
    print(
        f"\nSpearman(cosine, Jaccard of (onset, pitch)) on {args.pairs} random held-out pairs "
        f"({nonzero.mean():.0%} with any overlap): model {rho_m:.3f}, flat grid {rho_b:.3f}"
    )
    rho_ms, rho_bs = spearmanr(pairs_s, pairs_m)[0], spearmanr(pairs_s, pairs_b)[0]
    print(
        f"Spearman(cosine, best Jaccard over transpositions of -12..12) on the same pairs: "
        f"model {rho_ms:.3f}, flat grid {rho_bs:.3f}"
    )

    if not args.no_copies:
        transposed_copy_check(data, model, args.holdout, scratch)


def transposed_copy_check(data: Path, model, holdout: float, scratch: Path) -> None:
    """Every catalog song with pitched notes gets a +2-semitone copy under another author (ingested as new
    songs); `similar` on each original should rank its copy first. Reported for the songs held out of
    training (never seen by the encoder) and for all of them."""
    from beepbrain.archive.records import song_id
    from beepbrain.corpus.catalog import open_catalog
    from beepbrain.corpus.ingest import ingest
    from beepbrain.embed.corpus import is_held_out
    from beepbrain.embed.job import embed_catalog
    from beepbrain.embed.registry import LoadedEncoder
    from beepbrain.embed.similar import similar_songs
    from beepbrain.embed.songs import transpose_song
    from beepbrain.format import parse_song

    with open_catalog(data) as con:
        songs = con.execute("SELECT song_id, data FROM songs ORDER BY song_id").fetchall()
    records, pairs = [], []
    for sid, text in songs:
        song = parse_song(text)
        if not any(
            p.notes for c, ch in enumerate(song.channels) if not song.is_noise_channel(c) for p in ch.patterns
        ):
            continue
        copy = transpose_song(song, 2)
        if copy is None:
            continue
        copy_text = copy.to_url()
        records.append(
            {
                "author": "transposer",
                "type": "beepbox",
                "content": "",
                "url": "https://www.beepbox.co/#" + copy_text,
                "data": copy_text,
            }
        )
        pairs.append((sid, song_id(copy_text), text))
    # twins: originals with the same song in another key already in the catalog (score 1 to 5 decimals,
    # the same form_hash, other notes): their copy ties with the twin, and the nearer key wins
    from beepbrain.corpus.sqlfiles import load_query

    encoder = LoadedEncoder(model, None, None)
    embed_catalog(data, encoder, log=lambda *a: None)
    query = load_query("similar_songs")
    twins = set()
    with open_catalog(data) as con:
        for original, _copy, _text in pairs:
            rows = con.execute(query.sql, query.bind({"song_id": original, "k": 1})).fetchall()
            if rows and round(rows[0][3], 5) == 1.0 and rows[0][6]:
                twins.add(original)
    source = scratch / "copies.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records))
    ingest(str(source), data)
    embed_catalog(data, encoder, log=lambda *a: None)
    results = {"held out": [0, 0, 0], "all": [0, 0, 0], "no twin": [0, 0, 0]}
    for original, copy, text in pairs:
        matches = similar_songs(data, text, k=10).matches
        hit = bool(matches) and matches[0].song_id == copy
        top = round(matches[0].score, 5) if matches else None
        tied = any(m.song_id == copy and round(m.score, 5) == top for m in matches)
        names = (["held out"] if is_held_out(original, holdout) else []) + ["all"]
        for name in names + ([] if original in twins else ["no twin"]):
            results[name][0] += hit
            results[name][1] += tied
            results[name][2] += 1
    print(
        "\ncatalog songs with a +2-semitone copy under another author: `similar` ranks the copy first "
        "(first or tied for first, same score to 5 decimals)"
    )
    for name, (hits, tied, n) in results.items():
        print(
            f"  {name:<9} {hits}/{n} ({hits / max(1, n):.1%})   tied first: {tied}/{n} ({tied / max(1, n):.1%})"
        )
    held_twins = sum(is_held_out(t, holdout) for t in twins)
    print(
        f"  twins (the same song in another key already in the catalog): {len(twins)}, {held_twins} of them "
        f"held out"
    )
    with open_catalog(data) as con:
        resaved = con.execute(
            "SELECT count(*) FROM song_embeddings e WHERE notes_hash IN (SELECT notes_hash FROM "
            "song_embeddings GROUP BY 1 HAVING count(*) > 1) AND song_id IN (SELECT unnest($ids))",
            {"ids": [o for o, _c, _t in pairs]},
        ).fetchone()[0]
    print(
        f"  originals with a re-save in the catalog (another song playing exactly the same notes, left out "
        f"by `similar`): {resaved}"
    )


if __name__ == "__main__":
    main()
