"""Evaluation on a small real dataset: the n-gram baseline, bits per token, statistics, the MLflow record."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from beepbrain.generate.evaluate import (
    evaluate,
    load_split,
    log_to_mlflow,
    model_bits_per_token,
    ngram_bits_per_token,
    plot,
)
from beepbrain.generate.ngram import NGramModel, load_split_songs
from beepbrain.model import CONFIGS, GPT
from beepbrain.tokens import TickTokenizer
from beepbrain.tokens.dataset import build_dataset_from_songs as _build


def build_dataset_from_songs(*args, **kwargs):
    """These tests cover the tick tokenizer's datasets."""
    from beepbrain.tokens.tick_config import TickTokenizerConfig

    kwargs.setdefault("config", TickTokenizerConfig())
    return _build(*args, **kwargs)


@pytest.fixture(scope="module")
def dataset(corpus_records, tmp_path_factory):
    out = tmp_path_factory.mktemp("ds") / "small"
    songs = [r["data"] for r in corpus_records[:60]]
    build_dataset_from_songs(songs, out, "small", val_fraction=0.15, test_fraction=0.15)
    return out


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return GPT(CONFIGS["tiny"].with_data(TickTokenizer().vocab_size)).eval()


def test_ngram_fits_and_beats_uniform_on_held_out(dataset):
    train = load_split_songs(dataset, "train")
    val = load_split(dataset, "val")
    vocab = TickTokenizer().vocab_size
    for order in (1, 2, 4):
        ngram = NGramModel(vocab, order).fit(train)
        bits = ngram_bits_per_token(ngram, val)
        assert 0 < bits < math.log2(vocab)
        assert ngram.next_probs(train[0][:20]).sum() == pytest.approx(1.0)
    # higher orders fit the training data better
    assert NGramModel(vocab, 4).fit(train).bits_per_token(train[:5]) < NGramModel(vocab, 1).fit(
        train
    ).bits_per_token(train[:5])


def test_model_bits_per_token_is_the_mean_cross_entropy(dataset, model):
    val = load_split(dataset, "val")
    song = val.songs[0][: model.config.block_size + 1]
    one = type(val)([song], val.cond[:1])
    x = torch.tensor(song[None, :-1])
    y = torch.tensor(song[None, 1:])
    with torch.no_grad():
        _, loss = model(x, torch.tensor(val.cond[0].vector()[None]), y)
    assert model_bits_per_token(model, TickTokenizer(), one) == pytest.approx(
        float(loss) / math.log(2), rel=1e-4
    )


def test_evaluate_plots_and_logs_to_mlflow(dataset, model, tmp_path):
    from mlflow.tracking import MlflowClient

    result = evaluate(model, TickTokenizer(), dataset, samples=1, max_bars=1, progress=lambda _m: None)
    for key in (
        "eval_val_bpt",
        "eval_test_bpt",
        "ngram_val_bpt",
        "ngram_test_bpt",
        "ref_note_density",
        "gen_note_density",
        "ngram_note_density",
    ):
        assert key in result.metrics and np.isfinite(result.metrics[key]), key
    # an untrained model knows nothing: about log2(vocab) bits per token; the fitted n-gram knows more
    vocab = TickTokenizer().vocab_size
    assert abs(result.metrics["eval_val_bpt"] - math.log2(vocab)) < 1.5
    assert result.metrics["ngram_val_bpt"] < math.log2(vocab) - 2
    assert set(result.stats) == {
        "test songs",
        "test songs (cut)",
        "model",
        "model (free)",
        f"{int(result.metrics['ngram_order'])}-gram",
    }
    # like for like: each sample beside the test song whose shape it took, cut to the same bars
    for gen, cut in zip(result.songs["model"], result.songs["test_cut"], strict=True):
        assert gen.bar_count == cut.bar_count == 1
        assert (gen.rhythm, gen.pitch_channel_count, gen.noise_channel_count) == (
            cut.rhythm,
            cut.pitch_channel_count,
            cut.noise_channel_count,
        )
    image = plot(result, tmp_path / "eval.png")
    assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    experiment = client.create_experiment("t", artifact_location=(tmp_path / "art").as_uri())
    run = client.create_run(experiment)
    log_to_mlflow(result, run.info.run_id, uri, image)
    logged = client.get_run(run.info.run_id).data.metrics
    assert logged["eval_val_bpt"] == pytest.approx(result.metrics["eval_val_bpt"])
    files = {f.path for f in client.list_artifacts(run.info.run_id, "evaluation")}
    assert files == {"evaluation/eval.png", "evaluation/evaluation.json"}


def test_scoring_windows_are_songs_and_score_every_bar_once(corpus_records):
    """A song longer than the context is scored in windows that are songs of their own (BOS, header,
    the patterns their REFs name written out); together they score every bar of it exactly once, and the tokens they score are,
    in order, the song's own tokens (a REF stays one REF in every window, nothing is written out again),
    so the model's bits and the n-gram's are of the same tokens; a song that fits is scored whole."""
    from beepbrain.format import parse_song
    from beepbrain.generate.evaluate import scoring_windows
    from beepbrain.tokens import PatternTokenizer
    from beepbrain.tokens.pattern_stream import is_hidden, pinned_mask

    tok = PatternTokenizer()
    checked = pins = hidden = shown = 0
    for record in corpus_records[:60]:
        try:
            enc = tok.encode(parse_song(record["data"]))
        except ValueError:
            continue
        toks = enc.tokens.tolist()
        windows = scoring_windows(tok, toks, enc.conditioning, 512)
        if len(toks) <= 513:
            assert windows == [(toks, 1, len(toks))]
            continue
        checked += 1
        bars_scored = 0
        scored: list[int] = []
        for window, first, end in windows:
            scored += window[first:end]
            assert len(window) <= 513 and 1 <= first < end <= len(window)
            if window[0] == 1:  # BOS: a song of its own (else the rest of a bar longer than the context)
                grammar = tok.grammar(enc.conditioning, beats_per_bar=None)
                grammar.relax(True)  # a given view: its pinned rows are accepted
                bar = -1
                for i, t in enumerate(window):  # every REF scored names a pattern written inside it,
                    bar += t == 3  # but in a first bar that with its patterns takes more than the context
                    if first <= i < end and tok.vocab.is_family(t, "REF"):
                        body = grammar.stream.body_of(int(tok.vocab.value[t]))
                        hidden += is_hidden(body)
                        shown += not is_hidden(body)
                        assert bar == 0 or not is_hidden(body)
                    grammar.advance(t)
                pinned = pinned_mask(window, tok.vocab)
                assert not pinned[first:end].any()  # pinned rows are context, never scored
                pins += int(pinned.sum())
            bars_scored += sum(1 for t in window[first:end] if t == 3)  # BAR lines scored
        assert bars_scored == enc.bars
        assert scored == toks[1:]
    assert checked >= 5 and pins > 0 and shown > 20 * hidden  # at the main job's context: 1211 against 35
