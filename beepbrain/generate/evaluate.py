"""Evaluation of a trained model: held-out loss, and musical statistics of its songs next to real ones.

- Bits per token and bits per note on the val and test splits: every song is cut into consecutive windows
  of the model's block size (each token scored once, with the context since its window's start); the
  first token of each song (BOS, always the same) is not scored. Bits per note divides the same bits by
  the notes the songs play through their bar sequences: the figure that compares tokenizers. Capped at
  ``max_tokens`` per split, the same songs for all.
- The baseline: an interpolated n-gram model (``ngram``) fitted on the train split, scored on the same
  tokens, and sampled through the same grammar.
- Musical statistics (``stats``) of songs generated with the conditioning, beats per bar and (capped)
  length of test-split songs, next to those test songs themselves and to n-gram songs.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from beepbrain.generate.ngram import NGramModel, load_split_songs
from beepbrain.generate.sampling import SamplingConfig, sample_sequence
from beepbrain.generate.songs import SongRequest, generate_song
from beepbrain.generate.stats import STAT_NAMES, played_notes, song_stats, summarize

LN2 = math.log(2)


@dataclass
class EvalResult:
    metrics: dict[str, float] = field(default_factory=dict)
    stats: dict[str, dict[str, float]] = field(default_factory=dict)  # source -> statistic -> mean
    urls: list[str] = field(default_factory=list)
    songs: dict[str, list] = field(default_factory=dict)  # source (test, model, ngram) -> Songs

    def table(self) -> str:
        sources = list(self.stats)
        lines = [f"{'statistic':<22}" + "".join(f"{s:>12}" for s in sources)]
        for name in STAT_NAMES:
            lines.append(f"{name:<22}" + "".join(f"{self.stats[s][name]:>12.3f}" for s in sources))
        return "\n".join(lines)


@dataclass
class SplitSongs:
    songs: list[np.ndarray]
    cond: list  # Conditioning per song


def load_split(dataset_dir: Path, split: str, max_tokens: int | None = None) -> SplitSongs:
    """The songs of a split with their conditioning, the first ones up to ``max_tokens`` tokens."""
    from beepbrain.tokens import Conditioning

    songs = load_split_songs(dataset_dir, split)
    index = np.load(dataset_dir / f"{split}.index.npy")
    out, conds, total = [], [], 0
    for song, row in zip(songs, index, strict=True):
        if max_tokens is not None and total >= max_tokens:
            break
        out.append(song)
        conds.append(Conditioning(int(row["rhythm"]), int(row["pitch_channels"]), int(row["noise_channels"])))
        total += len(song)
    return SplitSongs(out, conds)


def scoring_windows(tokenizer, song, cond, block_size: int) -> list[tuple[list[int], int, int]]:
    """How a song is scored with every token in view of its song: ``(window, first, end)`` triples, each
    window a song of its own (``tokenizer.view`` from a bar line, at most ``block_size + 1`` tokens) whose
    tokens ``first``..``end - 1`` are scored. A song that fits is one window from BOS; a longer one goes on
    in windows that start at later bar lines (with the header, and the patterns their bars use written out)
    and score whole bars, each bar once, with at least a quarter of the context before it where it fits."""
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
        view = tokenizer.view(toks, cond, start)
        lines = [int(x) for x in tokenizer.bar_lines(view)] + [len(view)]
        window = view[: T + 1]
        first = 1 if done == 0 else max(1, lines[done - start])
        complete = [k for k in range(done - start, len(lines) - 1) if lines[k + 1] <= len(window)]
        if complete:
            last = complete[-1]
            end = lines[last + 1]
            done = start + last + 1
        else:  # one bar (or the header) longer than the context: the rest of it in overlapping windows
            if first < len(window):
                out.append((window, first, len(window)))
            bar_end = lines[done - start + 1]
            out += _overlapping(view, max(first, len(window)), bar_end, T)
            done += 1
            first = end = 0
        if end > first:
            out.append((window, first, end))
        if done >= n_bars:
            break
        nxt = done
        for a in range(start + 1, done + 1):
            later = tokenizer.view(toks, cond, a)
            ends = [int(x) for x in tokenizer.bar_lines(later)] + [len(later)]
            if ends[min(done - a + 1, len(ends) - 1)] <= T * 3 // 4:
                nxt = a
                break
        start = nxt
    return out


def _overlapping(toks: list[int], begin: int, end: int, T: int) -> list[tuple[list[int], int, int]]:
    """Windows that score ``toks[begin:end]``, each token with the half context before it."""
    out, half = [], T // 2
    while begin < end:
        first = max(0, begin - (T + 1 - half))
        window = toks[first: first + T + 1]
        stop = min(end, first + len(window))
        out.append((window, begin - first, stop - first))
        begin = stop
    return out


def song_bits(model, tokenizer, songs: list[np.ndarray], conds: list, batch_size: int = 16,
              counts: list | None = None) -> np.ndarray:
    """float64[N]: -log2 P of each song under ``model``, every token scored with its song's header and the
    patterns it names in view (``scoring_windows``: the windows training sees); the first token (BOS,
    always the same) is not scored. ``counts``, if given, gets the tokens scored per song."""
    import torch
    import torch.nn.functional as F

    T = int(model.config.block_size)
    device = next(model.parameters()).device
    windows = []
    for index, (song, cond) in enumerate(zip(songs, conds, strict=True)):
        vec = cond.vector()
        for window, first, end in scoring_windows(tokenizer, song, cond, T):
            windows.append((index, window, first, end, vec))
    bits = np.zeros(len(songs), dtype=np.float64)
    scored = np.zeros(len(songs), dtype=np.int64)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for i in range(0, len(windows), batch_size):
                batch = windows[i:i + batch_size]
                x = np.zeros((len(batch), T), dtype=np.int64)
                y = np.full((len(batch), T), -1, dtype=np.int64)
                for row, (_index, window, first, end, _vec) in enumerate(batch):
                    n = len(window) - 1
                    x[row, :n] = window[:-1]
                    y[row, first - 1:end - 1] = window[first:end]
                cond = torch.from_numpy(np.stack([b[4] for b in batch])).to(device)
                logits, _ = model(torch.from_numpy(x).to(device), cond)
                target = torch.from_numpy(y).to(device)
                nats = F.cross_entropy(logits.float().reshape(-1, logits.size(-1)), target.reshape(-1),
                                       ignore_index=-1, reduction="none").reshape(len(batch), T).sum(dim=1)
                for row, (index, _window, first, end, _vec) in enumerate(batch):
                    bits[index] += float(nats[row]) / LN2
                    scored[index] += end - first
    finally:
        model.train(was_training)
    if counts is not None:
        counts.extend(int(c) for c in scored)
    return bits


def model_bits_per_token(model, tokenizer, split: SplitSongs, batch_size: int = 16) -> float:
    """Mean -log2 P(token) over the tokens ``song_bits`` scores."""
    counts: list[int] = []
    bits = song_bits(model, tokenizer, split.songs, split.cond, batch_size, counts=counts)
    return float(bits.sum()) / max(sum(counts), 1)


def split_notes(tokenizer, split: SplitSongs) -> np.ndarray:
    """int64[N]: the notes each song of the split plays through its bar sequence, as its tokens decode."""
    return np.array([played_notes(tokenizer.decode(tokens, cond)) for tokens, cond
                     in zip(split.songs, split.cond, strict=True)], dtype=np.int64)


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


def reference_songs(tokenizer, split: SplitSongs, limit: int):
    """Test songs decoded from their tokens (what the model sees), with their beats per bar and bars."""
    out = []
    for tokens, cond in zip(split.songs[:limit], split.cond[:limit], strict=True):
        song = tokenizer.decode(tokens, cond)
        out.append(song)
    return out


def ngram_song(ngram: NGramModel, tokenizer, request: SongRequest, sampling: SamplingConfig):
    """A song sampled from the n-gram through the tokenizer's grammar."""
    from beepbrain.generate.songs import fixed_header
    from beepbrain.tokens import Conditioning

    cond = Conditioning(request.rhythm, request.pitch_channels, request.drum_channels)
    grammar = tokenizer.grammar(cond, beats_per_bar=request.beats_per_bar, bars=request.bars,
                                **fixed_header(tokenizer, request))
    tokens = sample_sequence(grammar, lambda ctx: np.log(ngram.next_probs(ctx) + 1e-30), sampling)
    return tokenizer.decode(np.asarray(tokens), cond, beats_per_bar=request.beats_per_bar)


def evaluate(model, tokenizer, dataset_dir: str | Path, *, samples: int = 8, max_bars: int = 8,
             max_tokens: int = 200_000, ngram_order: int = 0, sampling: SamplingConfig | None = None,
             reference_limit: int = 200, progress=print, embedder=None) -> EvalResult:
    """Losses and musical statistics of ``model`` on a dataset (see the module docstring); with an
    ``embedder`` (a ``beepbrain.embed`` PatternEncoder) also Fréchet distances to the train split."""
    dataset_dir = Path(dataset_dir)
    sampling = sampling or SamplingConfig(temperature=1.0, top_p=1.0, seed=0)
    manifest = json.loads((dataset_dir / "manifest.json").read_text())
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
        progress(f"{split_name}: model {m[f'eval_{split_name}_bpt']:.3f} bits/token"
                 + (f", {m[f'eval_{split_name}_bpn']:.3f} bits/note" if notes else "")
                 + f"; {ngram.order}-gram {m[f'ngram_{split_name}_bpt']:.3f} bits/token"
                 + (f", {m[f'ngram_{split_name}_bpn']:.3f} bits/note" if notes else ""))

    test = load_split(dataset_dir, "test")
    if not test.songs:
        test = load_split(dataset_dir, "val")
    refs = reference_songs(tokenizer, test, reference_limit)
    result.stats["test songs"] = summarize([song_stats(s) for s in refs])
    generated, baseline, songs_by_source = [], [], {"test": list(refs), "model": [], "ngram": []}
    count = samples if refs else 0
    for i in range(count):
        ref = refs[i % len(refs)]  # each sample asks for a test song's shape, in turn
        request = SongRequest(rhythm=ref.rhythm, pitch_channels=ref.pitch_channel_count,
                              drum_channels=ref.noise_channel_count, bars=min(ref.bar_count, max_bars),
                              beats_per_bar=ref.beats_per_bar)
        cfg = replace(sampling, seed=sampling.seed + i)
        song = generate_song(model, tokenizer, request, cfg)
        generated.append(song_stats(song.song))
        result.urls.append(song.url)
        ngram_made = ngram_song(ngram, tokenizer, request, cfg)
        baseline.append(song_stats(ngram_made))
        songs_by_source["model"].append(song.song)
        songs_by_source["ngram"].append(ngram_made)
        progress(f"sample {i + 1}/{count}: {request.bars} bars, "
                 f"{request.pitch_channels}+{request.drum_channels} channels")
    result.songs = songs_by_source
    result.stats["model"] = summarize(generated)
    result.stats[f"{ngram.order}-gram"] = summarize(baseline)
    for source, key in (("test songs", "ref"), ("model", "gen"), (f"{ngram.order}-gram", "ngram")):
        for name, value in result.stats.get(source, {}).items():
            if not math.isnan(value):
                result.metrics[f"{key}_{name}"] = value
    if embedder is not None:
        from beepbrain.embed.frechet import frechet_report

        train = reference_songs(tokenizer, load_split(dataset_dir, "train"), reference_limit)
        result.metrics.update(frechet_report(embedder, train, songs_by_source, progress=progress))
    return result


def plot(result: EvalResult, path: str | Path) -> Path:
    """Grouped bars: each statistic for test songs, model songs and n-gram songs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sources = list(result.stats)
    fig, axes = plt.subplots(1, len(STAT_NAMES), figsize=(3 * len(STAT_NAMES), 3.2))
    colors = ["#4c72b0", "#dd8452", "#55a868", "#c44e52"]
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
    client.log_dict(run_id, {"metrics": result.metrics, "stats": result.stats, "urls": result.urls},
                    "evaluation/evaluation.json")
