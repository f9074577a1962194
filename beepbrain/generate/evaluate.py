"""Evaluation of a trained model: held-out loss, and musical statistics of its songs next to real ones.

- Bits per token and bits per note on the val and test splits: every song is cut into consecutive windows
  of the model's block size (each token scored once, with the context since its window's start); the
  first token of each song (BOS, always the same) is not scored. Bits per note divides the same bits by
  the notes the songs play through their bar sequences: the figure that compares tokenizers. Capped at
  ``max_tokens`` per split, the same songs for all.
- The baseline: an interpolated n-gram model (``ngram``) fitted on the train split, scored on the same
  tokens, and sampled through the same grammar.
- Musical statistics (``stats``), like for like (``like_for_like``): sample ``i`` is generated with test
  song ``i``'s (in turn) conditioning (rhythm, pitch-channel and drum-channel counts) and beats per bar, for
  N = min(its bars, ``max_bars``) bars, and is compared with that test song cut to its first N bars
  (``stats.first_bars``). Pairing each sample with the test song whose shape it took, rather than grouping
  songs by shape, keeps every shape weighted as often on both sides and works with a handful of samples
  (grouped by shape, most groups would hold one or two songs); cutting to the same bars matters because
  bar repeat, groove and onset counts depend on length. Every sample is drawn twice from the same seed: with
  the grammar's musical constraints on (the defaults, ``model``: notes on the rhythm's grid and in the
  header's scale, a first bar with sound) and off (``model (free)``: nothing beyond a valid song), so
  figures the constraints force (scale consistency above all) can be told from what the model learned.
  The whole test songs and n-gram songs (constraints on) are reported beside them.
- With an embedding model, Fréchet distances of pattern vectors to the train split; a set of test songs
  takes part only if the embedding model did not train on them (``embed_held_out``: the song ids it held
  out, which `beepbrain embed` records).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from beepbrain.generate.ngram import NGramModel
from beepbrain.generate.sampling import SamplingConfig, sample_sequence
from beepbrain.generate.songs import SongRequest, generate_song
from beepbrain.generate.stats import STAT_NAMES, played_notes, song_stats, summarize
from beepbrain.tokens.protocol import Tokenizer
from beepbrain.tokens.shards import load_split_songs, read_index, read_manifest
from beepbrain.tokens.specials import EOS

LN2 = math.log(2)


TEST_CUT = "test songs (cut)"  # the test songs cut to their paired samples' bars
MODEL = "model"  # the model's songs, sampled with the grammar's musical constraints (the defaults)
MODEL_FREE = "model (free)"  # the same requests and seeds without them
TEST_WHOLE = "test songs"
# the metric prefix of each source's statistics ({prefix}_{statistic}); the n-gram's is "ngram"
METRIC_PREFIX = {TEST_WHOLE: "ref", TEST_CUT: "ref_cut", MODEL: "gen", MODEL_FREE: "gen_free"}


@dataclass
class EvalResult:
    metrics: dict[str, float] = field(default_factory=dict)
    stats: dict[str, dict[str, float]] = field(default_factory=dict)  # source -> statistic -> mean
    urls: list[str] = field(default_factory=list)
    songs: dict[str, list] = field(default_factory=dict)  # test, test_cut, model, model_free, ngram -> Songs
    embedding: dict = field(default_factory=dict)  # the Fréchet distance's embedding model: version, held out

    def table(self) -> str:
        sources = list(self.stats)
        width = max([12] + [len(s) + 2 for s in sources])
        lines = [f"{'statistic':<22}" + "".join(f"{s:>{width}}" for s in sources)]
        for name in STAT_NAMES:
            lines.append(f"{name:<22}" + "".join(f"{self.stats[s][name]:>{width}.3f}" for s in sources))
        return "\n".join(lines)


@dataclass
class LikeForLike:
    """Songs to compare, index by index: ``test_cut[i]`` is the test song whose shape ``model[i]`` and
    ``model_free[i]`` (and ``ngram[i]``) were asked for, cut to their bar count."""

    requests: list = field(default_factory=list)  # SongRequest per sample (constraints on)
    test_cut: list = field(default_factory=list)
    model: list = field(default_factory=list)
    model_free: list = field(default_factory=list)
    ngram: list = field(default_factory=list)
    urls: list[str] = field(default_factory=list)  # the constrained samples' links
    free_urls: list[str] = field(default_factory=list)
    failed: list[tuple[int, str, str]] = field(default_factory=list)  # (sample, mode, error): pair left out

    def stats(self) -> dict[str, dict[str, float]]:
        """Mean statistics per source (``TEST_CUT``, ``MODEL``, ``MODEL_FREE``; no n-gram)."""
        return {
            TEST_CUT: summarize([song_stats(s) for s in self.test_cut]),
            MODEL: summarize([song_stats(s) for s in self.model]),
            MODEL_FREE: summarize([song_stats(s) for s in self.model_free]),
        }


def like_for_like(
    model,
    tokenizer: Tokenizer,
    refs: list,
    *,
    samples: int,
    max_bars: int,
    sampling: SamplingConfig,
    free: bool = True,
    ngram: NGramModel | None = None,
    progress=print,
) -> LikeForLike:
    """``samples`` songs from ``model`` shaped like the test songs ``refs`` in turn (conditioning, beats
    per bar, min(bars, ``max_bars``) bars), each with seed ``sampling.seed + i``, with the grammar's
    musical constraints and (``free``) without them; each test song cut to the bars its sample got; with
    ``ngram`` also n-gram songs for the same requests (constraints on). See the module docstring for why
    samples are paired with test songs rather than grouped by shape. A sample the sampler cannot finish
    (a bar longer than the model's context: ``RuntimeError``) leaves its whole pair out, recorded in
    ``failed``, so every source still holds the same shapes."""
    from beepbrain.generate.stats import first_bars

    out = LikeForLike()
    count = samples if refs else 0
    unconstrained = free and bool(tokenizer.GRAMMAR_CONSTRAINTS)
    for i in range(count):
        ref = refs[i % len(refs)]  # each sample asks for a test song's shape, in turn
        request = SongRequest(
            rhythm=ref.rhythm,
            pitch_channels=ref.pitch_channel_count,
            drum_channels=ref.noise_channel_count,
            bars=min(ref.bar_count, max_bars),
            beats_per_bar=ref.beats_per_bar,
        )
        cfg = replace(sampling, seed=sampling.seed + i)
        mode = "constrained"
        try:
            song = generate_song(model, tokenizer, request, cfg)
            loose = song  # a grammar without musical constraints (tick tokenizer): the free songs are these
            if unconstrained:
                mode = "free"
                loose = generate_song(model, tokenizer, replace(request, constraints=False), cfg)
        except RuntimeError as exc:
            out.failed.append((i, mode, str(exc)))
            progress(f"sample {i + 1}/{count} ({mode}) failed, its pair left out: {exc}")
            continue
        out.requests.append(request)
        out.model.append(song.song)
        out.urls.append(song.url)
        out.test_cut.append(first_bars(ref, song.song.bar_count))
        if free:
            out.model_free.append(loose.song)
            out.free_urls.append(loose.url)
        if ngram is not None:
            out.ngram.append(ngram_song(ngram, tokenizer, request, cfg))
        progress(
            f"sample {i + 1}/{count}: {request.bars} bars, "
            f"{request.pitch_channels}+{request.drum_channels} channels"
        )
    return out


def split_song_ids(dataset_dir: Path, split: str) -> list[str]:
    """The catalog song ids of a dataset split, as its manifest lists them (empty if it does not)."""
    manifest = read_manifest(dataset_dir)
    return list((manifest.get("splits", {}).get(split) or {}).get("song_ids") or [])


def seen_by_embedder(dataset_dir: Path, split: str, held_out) -> list[str] | None:
    """The song ids of ``split`` that an embedding model which held out ``held_out`` trained on (sorted;
    empty: it saw none of them), or None when the manifest lists no song ids (so it cannot be told)."""
    ids = split_song_ids(dataset_dir, split)
    if not ids:
        return None
    return sorted(set(ids) - set(held_out))


@dataclass
class SplitSongs:
    songs: list[np.ndarray]
    cond: list  # Conditioning per song


def load_split(dataset_dir: Path, split: str, max_tokens: int | None = None) -> SplitSongs:
    """The songs of a split with their conditioning, the first ones up to ``max_tokens`` tokens."""
    from beepbrain.tokens import Conditioning

    songs = load_split_songs(dataset_dir, split)
    index = read_index(dataset_dir, split)
    out, conds, total = [], [], 0
    for song, row in zip(songs, index, strict=True):
        if max_tokens is not None and total >= max_tokens:
            break
        out.append(song)
        conds.append(Conditioning(int(row["rhythm"]), int(row["pitch_channels"]), int(row["noise_channels"])))
        total += len(song)
    return SplitSongs(out, conds)


def scoring_windows(tokenizer: Tokenizer, song, cond, block_size: int) -> list[tuple[list[int], int, int]]:
    """How a song is scored with every token in view of its song: ``(window, first, end)`` triples, each
    window a song of its own (``tokenizer.window`` from a bar line, as training's windows are cut) whose
    tokens ``first``..``end - 1`` are scored. A song that fits is one window from BOS; a longer one goes on
    in windows that start at later bar lines (with the header and, pinned ahead of the bars, the patterns
    played before, those its bars play again written out) and score whole bars, each bar once, with at
    least a quarter of the context before it where it fits. Pinned rows are context, never scored; a
    window ends before a bar that plays a pattern it cannot show, so every ``REF`` scored names a pattern
    in view (unless one bar names more than the pins can show)."""
    toks = [int(t) for t in song]
    T = int(block_size)
    if len(toks) <= T + 1:
        return [(toks, 1, len(toks))]
    if not tokenizer.HAS_HEADER:  # no header, no pattern numbers (tick): windows overlapping by half
        return [(toks[: T + 1], 1, T + 1)] + _overlapping(toks, T + 1, len(toks), T)
    n_bars = len(tokenizer.bar_lines(toks))
    out: list[tuple[list[int], int, int]] = []
    start, done = 0, 0  # the window's first bar; bars scored
    while done < n_bars:
        window, lines, ends = _held(tokenizer, toks, cond, start, T)
        first = 1 if done == 0 else max(1, lines[done - start])
        complete = list(range(done - start, len(ends)))
        if complete:
            last = complete[-1]
            end = ends[last]
            done = start + last + 1
        else:  # one bar (or the header) longer than the context: the rest of it in overlapping windows
            view = tokenizer.view(toks, cond, start, T)
            if first < len(window):
                out.append((window, first, len(window)))
            bar_end = ([int(x) for x in tokenizer.bar_lines(view)] + [len(view)])[done - start + 1]
            out += _overlapping(view, max(first, len(window)), bar_end, T)
            done += 1
            first = end = 0
        if end > first:
            out.append((window, first, end))
        if done >= n_bars:
            break
        nxt = done
        for a in range(start + 1, done + 1):
            _later, _lines, later_ends = _held(tokenizer, toks, cond, a, T)
            if done - a < len(later_ends) and later_ends[done - a] <= T * 3 // 4:
                nxt = a
                break
        start = nxt
    return out


def _held(tokenizer: Tokenizer, toks: list[int], cond, start: int, T: int):
    """The scoring window from bar ``start`` (``tokenizer.window``), where the bars of the view it was cut
    from start (past the window's end too), and where each bar the window holds whole ends."""
    view = tokenizer.view(toks, cond, start, T)
    window = tokenizer.window(view, cond, T)
    lines = [int(x) for x in tokenizer.bar_lines(view)]
    held = [x for x in lines if x < len(window)]
    whole = len(window) < T + 1 or (window and window[-1] == EOS)  # cut at a bar line, or the song's end
    ends = held[1:] + ([len(window)] if whole and held else [])
    return window, lines, ends


def _overlapping(toks: list[int], begin: int, end: int, T: int) -> list[tuple[list[int], int, int]]:
    """Windows that score ``toks[begin:end]``, each token with the half context before it."""
    out, half = [], T // 2
    while begin < end:
        first = max(0, begin - (T + 1 - half))
        window = toks[first : first + T + 1]
        stop = min(end, first + len(window))
        out.append((window, begin - first, stop - first))
        begin = stop
    return out


def song_bar_count(tokenizer: Tokenizer, song, cond) -> int:
    """The bars a pattern-tokenizer stream's header declares."""
    from beepbrain.tokens.pattern_stream import split_stream

    return split_stream(song, tokenizer.vocab, cond.channels).total_bars


def cell_tokens(tokenizer: Tokenizer, window, cond, song_bars: int, cells) -> np.ndarray:
    """bool[len(window)]: the tokens of ``window`` (a pattern-tokenizer view of a song of ``song_bars``
    bars, from any bar line) that write the items of ``cells`` ((bar, channel) of the song, 0-based)."""
    from beepbrain.tokens.pattern_stream import split_stream

    if not len(window) or int(window[0]) != tokenizer.bos_id:  # a slice of one bar longer than the context
        raise RuntimeError(
            "a bar of this song takes more than the model's context: its cells cannot be scored"
        )
    parts = split_stream(window, tokenizer.vocab, cond.channels)
    start = int(song_bars) - parts.total_bars  # the view's header counts the bars left
    out = np.zeros(len(window), dtype=bool)
    for bar, channel, first, end in parts.spans:
        if (start + bar, channel) in cells:
            out[first:end] = True
    return out


def song_bits(
    model,
    tokenizer,
    songs: list[np.ndarray],
    conds: list,
    batch_size: int = 16,
    counts: list | None = None,
    cells: list | None = None,
) -> np.ndarray:
    """float64[N]: -log2 P of each song under ``model``, every token scored with its song's header and the
    patterns it names in view (``scoring_windows``: the windows training sees); the first token (BOS,
    always the same) is not scored. ``counts``, if given, gets the tokens scored per song. ``cells``: per
    song, the (bar, channel) cells (0-based) whose items alone are scored, each in its place in the song
    with everything before it in view (a channel written in place, ``generate/inline.py``)."""
    import torch
    import torch.nn.functional as F

    if cells is not None and not tokenizer.HAS_HEADER:
        raise ValueError("scoring single cells needs a tokenizer whose streams have bars of items (pattern)")
    T = int(model.config.block_size)
    device = next(model.parameters()).device
    windows = []
    for index, (song, cond) in enumerate(zip(songs, conds, strict=True)):
        vec = cond.vector()
        bars = None if cells is None else song_bar_count(tokenizer, song, cond)
        targets = None if cells is None else set(cells[index])
        for window, first, end in scoring_windows(tokenizer, song, cond, T):
            keep = None if targets is None else cell_tokens(tokenizer, window, cond, bars, targets)
            windows.append((index, window, first, end, vec, keep))
    bits = np.zeros(len(songs), dtype=np.float64)
    scored = np.zeros(len(songs), dtype=np.int64)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for i in range(0, len(windows), batch_size):
                batch = windows[i : i + batch_size]
                x = np.zeros((len(batch), T), dtype=np.int64)
                y = np.full((len(batch), T), -1, dtype=np.int64)
                for row, (_index, window, first, end, _vec, keep) in enumerate(batch):
                    n = len(window) - 1
                    x[row, :n] = window[:-1]
                    y[row, first - 1 : end - 1] = window[first:end]
                    if keep is not None:
                        y[row, :n] = np.where(keep[1:], y[row, :n], -1)
                cond = torch.from_numpy(np.stack([b[4] for b in batch])).to(device)
                logits, _ = model(torch.from_numpy(x).to(device), cond)
                target = torch.from_numpy(y).to(device)
                nats = (
                    F.cross_entropy(
                        logits.float().reshape(-1, logits.size(-1)),
                        target.reshape(-1),
                        ignore_index=-1,
                        reduction="none",
                    )
                    .reshape(len(batch), T)
                    .sum(dim=1)
                )
                for row, (index, _window, first, end, _vec, keep) in enumerate(batch):
                    bits[index] += float(nats[row]) / LN2
                    scored[index] += end - first if keep is None else int(keep[first:end].sum())
    finally:
        model.train(was_training)
    if counts is not None:
        counts.extend(int(c) for c in scored)
    return bits


def model_bits_per_token(model, tokenizer: Tokenizer, split: SplitSongs, batch_size: int = 16) -> float:
    """Mean -log2 P(token) over the tokens ``song_bits`` scores."""
    counts: list[int] = []
    bits = song_bits(model, tokenizer, split.songs, split.cond, batch_size, counts=counts)
    return float(bits.sum()) / max(sum(counts), 1)


def split_notes(tokenizer: Tokenizer, split: SplitSongs) -> np.ndarray:
    """int64[N]: the notes each song of the split plays through its bar sequence, as its tokens decode."""
    return np.array(
        [
            played_notes(tokenizer.decode(tokens, cond))
            for tokens, cond in zip(split.songs, split.cond, strict=True)
        ],
        dtype=np.int64,
    )


def ngram_bits_per_token(ngram: NGramModel, split: SplitSongs) -> float:
    """The n-gram's bits per token on the same tokens ``model_bits_per_token`` scores."""
    total, count = ngram_bits(ngram, split)
    return total / count if count else float("nan")


def ngram_bits(ngram: NGramModel, split: SplitSongs) -> tuple[float, int]:
    """(total bits, tokens scored) of the n-gram on the split: every token but each song's first."""
    probs = ngram.token_probs(split.songs)
    first = np.cumsum([0] + [len(s) for s in split.songs[:-1]])
    keep = np.ones(len(probs), dtype=bool)
    keep[first] = False
    return float(-np.log2(probs[keep]).sum()), int(keep.sum())


def fit_baseline(dataset_dir: Path, vocab_size: int, order: int, max_tokens: int, progress) -> NGramModel:
    """The n-gram of ``order`` fitted on train; order 0 picks the order (1-4) with the lowest val bits."""
    train = load_split_songs(dataset_dir, "train")
    if order:
        progress(f"fitting a {order}-gram baseline on {dataset_dir.name}/train ...")
        return NGramModel(vocab_size, order).fit(train)
    val = load_split(dataset_dir, "val", max_tokens)
    best, best_bits = None, math.inf
    for n in range(1, 5):
        model = NGramModel(vocab_size, n).fit(train)
        bits = ngram_bits_per_token(model, val) if val.songs else 0.0
        progress(f"{n}-gram: {bits:.3f} bits/token on val")
        if bits < best_bits:
            best, best_bits = model, bits
    progress(f"baseline: the {best.order}-gram")
    return best


def reference_songs(tokenizer: Tokenizer, split: SplitSongs, limit: int):
    """Test songs decoded from their tokens (what the model sees), with their beats per bar and bars."""
    out = []
    for tokens, cond in zip(split.songs[:limit], split.cond[:limit], strict=True):
        song = tokenizer.decode(tokens, cond)
        out.append(song)
    return out


def ngram_song(ngram: NGramModel, tokenizer: Tokenizer, request: SongRequest, sampling: SamplingConfig):
    """A song sampled from the n-gram through the tokenizer's grammar."""
    from beepbrain.generate.songs import fixed_header
    from beepbrain.tokens import Conditioning

    cond = Conditioning(request.rhythm, request.pitch_channels, request.drum_channels)
    grammar = tokenizer.grammar(
        cond, beats_per_bar=request.beats_per_bar, bars=request.bars, **fixed_header(tokenizer, request)
    )
    tokens = sample_sequence(grammar, lambda ctx: np.log(ngram.next_probs(ctx) + 1e-30), sampling)
    return tokenizer.decode(np.asarray(tokens), cond, beats_per_bar=request.beats_per_bar)


def evaluate(
    model,
    tokenizer: Tokenizer,
    dataset_dir: str | Path,
    *,
    samples: int = 8,
    max_bars: int = 8,
    max_tokens: int = 200_000,
    ngram_order: int = 0,
    sampling: SamplingConfig | None = None,
    reference_limit: int = 200,
    progress=print,
    embedder=None,
    free: bool = True,
    embed_held_out=None,
    embed_version: str | None = None,
) -> EvalResult:
    """Losses and musical statistics of ``model`` on a dataset (see the module docstring); with an
    ``embedder`` (a ``beepbrain.embed`` PatternEncoder) also Fréchet distances to the train split.

    ``free``: also sample every song without the grammar's musical constraints (``model (free)``).
    ``embed_held_out``: the song ids the embedder was trained without (``LoadedEncoder.held_out``); test
    songs enter the Fréchet distances only if the embedder held every one of them out. None: not known (an
    encoder not from the registry), they enter with a note.

    Metrics: ``ref_*`` (whole test songs), ``ref_cut_*`` (test songs cut to the samples' bars), ``gen_*``
    (constraints on), ``gen_free_*`` (constraints off), ``ngram_*`` per statistic; ``scale_consistency_
    {constrained,free,test}`` (test: the cut test songs); ``fd_*``; ``embed_held_out_songs`` and
    ``embed_seen_test_songs`` (test songs the embedder trained on; the Fréchet test sets need 0)."""
    dataset_dir = Path(dataset_dir)
    sampling = sampling or SamplingConfig(temperature=1.0, top_p=1.0, seed=0)
    manifest = read_manifest(dataset_dir)
    result = EvalResult()

    ngram = fit_baseline(dataset_dir, manifest["vocab_size"], ngram_order, max_tokens, progress)
    result.metrics["ngram_order"] = ngram.order
    for split_name in ("val", "test"):
        split = load_split(dataset_dir, split_name, max_tokens)
        if not split.songs:
            progress(f"{split_name}: no songs, skipped")
            continue
        counts: list[int] = []
        bits = song_bits(model, tokenizer, split.songs, split.cond, counts=counts)
        tokens = sum(counts)
        notes = int(split_notes(tokenizer, split).sum())
        ngram_total, ngram_count = ngram_bits(ngram, split)
        m = result.metrics
        m[f"eval_{split_name}_bpt"] = float(bits.sum()) / max(tokens, 1)
        m[f"ngram_{split_name}_bpt"] = ngram_total / max(ngram_count, 1)
        if notes:
            m[f"eval_{split_name}_bpn"] = float(bits.sum()) / notes
            m[f"ngram_{split_name}_bpn"] = ngram_total / notes
        progress(
            f"{split_name}: model {m[f'eval_{split_name}_bpt']:.3f} bits/token"
            + (f", {m[f'eval_{split_name}_bpn']:.3f} bits/note" if notes else "")
            + f"; {ngram.order}-gram {m[f'ngram_{split_name}_bpt']:.3f} bits/token"
            + (f", {m[f'ngram_{split_name}_bpn']:.3f} bits/note" if notes else "")
        )

    test_split = "test"
    test = load_split(dataset_dir, "test")
    if not test.songs:
        test_split, test = "val", load_split(dataset_dir, "val")
    refs = reference_songs(tokenizer, test, reference_limit)
    pairs = like_for_like(
        model,
        tokenizer,
        refs,
        samples=samples,
        max_bars=max_bars,
        sampling=sampling,
        free=free,
        ngram=ngram,
        progress=progress,
    )
    result.urls = list(pairs.urls)
    result.metrics["samples_failed"] = float(len(pairs.failed))
    compared = pairs.stats()
    if not free:
        compared.pop(MODEL_FREE)
    result.stats.update(compared)
    result.stats[f"{ngram.order}-gram"] = summarize([song_stats(s) for s in pairs.ngram])
    result.stats[TEST_WHOLE] = summarize([song_stats(s) for s in refs])
    result.songs = {
        "test": list(refs),
        "test_cut": pairs.test_cut,
        "model": pairs.model,
        "model_free": pairs.model_free if free else [],
        "ngram": pairs.ngram,
    }
    prefixes = dict(METRIC_PREFIX, **{f"{ngram.order}-gram": "ngram"})
    for source, stats in result.stats.items():
        for name, value in stats.items():
            if not math.isnan(value):
                result.metrics[f"{prefixes[source]}_{name}"] = value
    for label, source in (("constrained", MODEL), ("free", MODEL_FREE), ("test", TEST_CUT)):
        value = result.stats.get(source, {}).get("scale_consistency", math.nan)
        if not math.isnan(value):
            result.metrics[f"scale_consistency_{label}"] = value
    if embedder is not None:
        from beepbrain.embed.frechet import frechet_report

        sets = {
            "test": refs,
            "test_cut": pairs.test_cut,
            "model": pairs.model,
            "model_free": result.songs["model_free"],
            "ngram": pairs.ngram,
        }
        result.embedding = {
            "version": embed_version,
            "held_out_songs": None if embed_held_out is None else len(embed_held_out),
            "test_split": test_split,
        }
        if embed_held_out is None:
            progress(
                "note: which songs the embedding model trained on is not known; its Fréchet distance of "
                "the test songs may measure songs it saw"
            )
        else:
            seen = seen_by_embedder(dataset_dir, test_split, embed_held_out)
            result.metrics["embed_held_out_songs"] = float(len(embed_held_out))
            result.embedding["seen_test_songs"] = seen
            if seen is None or seen:
                if seen:
                    result.metrics["embed_seen_test_songs"] = float(len(seen))
                why = (
                    f"the embedding model trained on {len(seen)} of the {test_split} split's songs"
                    if seen
                    else f"the dataset's manifest lists no {test_split} song ids to check against"
                )
                progress(
                    f"Fréchet distance of the test songs skipped: {why}; `beepbrain embed --retrain` "
                    "trains one that holds out every dataset's val and test songs"
                )
                sets.pop("test")
                sets.pop("test_cut")
            else:
                result.metrics["embed_seen_test_songs"] = 0.0
                progress(
                    f"Fréchet distance: the embedding model held out all {len(split_song_ids(dataset_dir, test_split))} "
                    f"{test_split} songs ({len(embed_held_out)} songs held out in all)"
                )
        train = reference_songs(tokenizer, load_split(dataset_dir, "train"), reference_limit)
        sets = {name: songs for name, songs in sets.items() if songs}
        result.metrics.update(frechet_report(embedder, train, sets, random_songs=refs, progress=progress))
    return result


def plot(result: EvalResult, path: str | Path) -> Path:
    """Grouped bars: each statistic for every source (cut test songs, model songs with and without the
    constraints, n-gram songs, whole test songs)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sources = list(result.stats)
    fig, axes = plt.subplots(1, len(STAT_NAMES), figsize=(3 * len(STAT_NAMES), 3.2))
    colors = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860"]
    for ax, name in zip(axes, STAT_NAMES, strict=True):
        values = [result.stats[s][name] for s in sources]
        ax.bar(range(len(sources)), [0 if math.isnan(v) else v for v in values], color=colors[: len(sources)])
        ax.set_xticks(range(len(sources)), sources, rotation=30, ha="right", fontsize=8)
        ax.set_title(name.replace("_", " "), fontsize=9)
    bpt = {k: v for k, v in result.metrics.items() if k.endswith("_bpt")}
    if bpt:
        fig.suptitle("  ".join(f"{k}={v:.2f}" for k, v in sorted(bpt.items())), fontsize=9)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def log_to_mlflow(result: EvalResult, run_id: str, tracking_uri: str, plot_path: Path | None = None) -> None:
    """Metrics, the plot and a JSON summary into the model's MLflow run."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    import time

    from mlflow.entities import Metric

    now = int(time.time() * 1000)
    metrics = [Metric(k, float(v), now, 0) for k, v in result.metrics.items() if not math.isnan(v)]
    if metrics:
        client.log_batch(run_id, metrics=metrics)
    if plot_path is not None:
        client.log_artifact(run_id, str(plot_path), artifact_path="evaluation")
    client.log_dict(
        run_id,
        {
            "metrics": result.metrics,
            "stats": result.stats,
            "urls": result.urls,
            "embedding": result.embedding,
        },
        "evaluation/evaluation.json",
    )
