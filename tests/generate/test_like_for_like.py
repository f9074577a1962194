"""Like-for-like evaluation (issue 21, point 2): generated songs beside test songs cut to the same bars and
of the same shape; free sampling (no musical constraint beyond a valid song) beside the defaults; the
Fréchet distance's embedding model trained without the songs it measures."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from beepbrain.format import config as fc
from beepbrain.format import new_song, parse_song
from beepbrain.format.song import Note
from beepbrain.generate.sampling import SamplingConfig
from beepbrain.generate.songs import SongRequest, fixed_header
from beepbrain.generate.stats import (
    cut_bars,
    first_bars,
    mean_and_error,
    same_shape,
    song_stats,
    sounding_bars,
)
from beepbrain.tokens import Conditioning, PatternTokenizer


@pytest.fixture(scope="module")
def songs(corpus_records):
    out = []
    for record in corpus_records[:80]:
        try:
            out.append(parse_song(record["data"]))
        except ValueError:
            continue
    return out


def test_first_bars_keeps_the_first_bars_and_only_their_patterns(songs):
    song = new_song(2, 1, bars=6, beats_per_bar=4)
    a, b, d = song.channels
    a.patterns[0].notes = [Note.simple(20, 0, 6)]
    a.patterns[1].notes = [Note.simple(22, 0, 6)]
    a.patterns[2].notes = [Note.simple(24, 0, 6)]  # only played after the cut
    a.bars = [1, 2, 1, 2, 3, 3]
    b.patterns[0].notes = [Note.simple(30, 0, 12)]
    b.bars = [0, 0, 0, 0, 1, 1]  # silent in the first bars
    d.patterns[0].notes = [Note.simple(3, 0, 3)]
    d.bars = [1, 1, 1, 1, 1, 1]
    song.loop_start, song.loop_length = 2, 4
    cut = first_bars(song, 4)
    again = parse_song(cut.to_url())  # a valid song that BeepBox would load
    assert again.bar_count == 4 and again.loop_start + again.loop_length <= 4
    assert [len(c.patterns) for c in again.channels] == [2, 2, 2]  # patterns_per_channel: 2
    assert [p.notes for p in again.channels[0].patterns if p.notes] == [
        a.patterns[0].notes,
        a.patterns[1].notes,
    ]
    assert again.channels[0].bars == [1, 2, 1, 2] and again.channels[1].bars == [0, 0, 0, 0]
    stats = song_stats(again)
    assert stats["bar_repeat"] == pytest.approx(5 / 8)  # a: 2 of 4 bars repeat, drums 3 of 4
    assert stats["pitch_onsets_per_bar"] == pytest.approx(4 / 4 / 2)
    assert song_stats(song)["bar_repeat"] != stats["bar_repeat"]  # length matters: why the cut
    assert first_bars(song, 50).bar_count == 6
    for real in songs[:40]:  # real songs: every bar up to the cut plays what it played before
        cut = parse_song(first_bars(real, 3).to_url())
        assert cut.bar_count == min(3, real.bar_count)
        for c in range(real.channel_count):
            for bar in range(cut.bar_count):
                before, after = real.pattern_at(c, bar), cut.pattern_at(c, bar)
                assert (before.notes if before else []) == (after.notes if after else [])
    middle = parse_song(cut_bars(song, 3, 5).to_url())  # bars 4-5: a's patterns 2 and 3, b's first
    assert middle.bar_count == 2 and middle.loop_start + middle.loop_length <= 2
    assert [middle.pattern_at(0, k).notes for k in range(2)] == [a.patterns[1].notes, a.patterns[2].notes]
    assert middle.channels[1].bars == [0, 1] and middle.pattern_at(1, 1).notes == b.patterns[0].notes
    for real in songs[:40]:  # real songs: every bar of the span plays what it played in the song
        if real.bar_count < 4:
            continue
        cut = parse_song(cut_bars(real, 2, 4).to_url())
        for c in range(real.channel_count):
            for bar in range(2):
                before, after = real.pattern_at(c, bar + 2), cut.pattern_at(c, bar)
                assert (before.notes if before else []) == (after.notes if after else [])


def test_a_free_grammar_allows_what_the_constrained_one_refuses():
    """The same walk under both grammars: what the constrained one allows the free one allows too, and at
    note positions and pitches the free one also allows positions off the rhythm's grid and pitches out of
    the header's scale, which the constrained one refuses."""
    tok = PatternTokenizer()
    v = tok.vocab
    cond = Conditioning(1, 2, 1)  # rhythm ÷4: a step is 6 parts
    scale = fc.SCALE_NAMES.index("normal :)")
    constrained = SongRequest(
        rhythm=1, pitch_channels=2, drum_channels=1, bars=2, beats_per_bar=4, scale=scale
    )
    free = SongRequest(
        rhythm=1, pitch_channels=2, drum_channels=1, bars=2, beats_per_bar=4, scale=scale, constraints=False
    )
    assert set(tok.GRAMMAR_CONSTRAINTS) <= set(fixed_header(tok, constrained))
    assert not set(tok.GRAMMAR_CONSTRAINTS) & set(fixed_header(tok, free))
    pos_lo, pos_hi = v.span("POS")
    p_lo, p_hi = v.span("P")
    off_grid = np.array([(t - pos_lo) % 6 != 0 for t in range(pos_lo, pos_hi)])
    off_scale = np.array([(t - p_lo) % 12 not in fc.SCALE_PITCH_CLASSES[scale] for t in range(p_lo, p_hi)])
    rng = np.random.default_rng(0)
    seen_pos = seen_pitch = 0
    for _walk in range(3):
        strict = tok.grammar(cond, beats_per_bar=4, bars=2, **fixed_header(tok, constrained))
        loose = tok.grammar(cond, beats_per_bar=4, bars=2, **fixed_header(tok, free))
        while not strict.done:
            m_strict, m_loose = strict.mask(), loose.mask()
            assert not (m_strict & ~m_loose).any()
            if m_loose[pos_lo:pos_hi][off_grid].any():
                assert not m_strict[pos_lo:pos_hi][off_grid].any()
                seen_pos += 1
            if strict.channel < cond.pitch_channels and m_loose[p_lo:p_hi][off_scale].any():
                assert not m_strict[p_lo:p_hi][off_scale].any()
                seen_pitch += 1
            t = int(rng.choice(np.flatnonzero(m_strict)))
            strict.advance(t)
            loose.advance(t)
    assert seen_pos and seen_pitch


@pytest.fixture(scope="module")
def tiny_pattern_model():
    torch.manual_seed(0)
    from beepbrain.model import CONFIGS, GPT

    tok = PatternTokenizer()
    return GPT(CONFIGS["tiny"].with_data(tok.vocab_size)).eval(), tok


def test_like_for_like_pairs_each_sample_with_its_test_song_cut_to_its_bars(songs, tiny_pattern_model):
    from beepbrain.generate.evaluate import MODEL, MODEL_FREE, TEST_CUT, like_for_like

    model, tok = tiny_pattern_model
    refs = [s for s in songs if s.bar_count > 2 and s.channel_count <= 3][:2]
    pairs = like_for_like(
        model, tok, refs, samples=3, max_bars=2, sampling=SamplingConfig(seed=0), progress=lambda _m: None
    )
    assert len(pairs.model) == len(pairs.model_free) == len(pairs.test_cut) == 3
    for i, (gen, loose, cut) in enumerate(zip(pairs.model, pairs.model_free, pairs.test_cut, strict=True)):
        ref = refs[i % 2]
        shape = (ref.rhythm, ref.pitch_channel_count, ref.noise_channel_count, ref.beats_per_bar)
        for song in (gen, loose, cut):
            assert (
                song.rhythm,
                song.pitch_channel_count,
                song.noise_channel_count,
                song.beats_per_bar,
            ) == shape
            assert song.bar_count == 2
        assert cut.to_url() == first_bars(ref, 2).to_url()
        assert pairs.requests[i].constraints
    stats = pairs.stats()
    assert set(stats) == {TEST_CUT, MODEL, MODEL_FREE}
    # the constraints keep every pitch-channel note in the header's scale; free sampling does not have to
    share = stats[MODEL]["header_scale_share"]
    assert share == 1.0 or np.isnan(share)


def test_the_embedding_model_is_trained_without_the_songs_evaluate_measures(
    corpus_records, tmp_path, monkeypatch
):
    """Held out: every dataset's val and test songs and a twin of one (the same notes saved again under
    another id); none of them reaches training, and the record travels with the registered model."""
    import beepbrain.embed.tracked as tracked
    from beepbrain.embed.registry import load_encoder
    from beepbrain.embed.train import EmbedTrainConfig
    from beepbrain.generate.evaluate import seen_by_embedder

    catalog, texts = [], set()
    for record in corpus_records:
        try:
            parse_song(record["data"])
        except ValueError:
            continue
        if record["data"] not in texts:
            texts.add(record["data"])
            catalog.append((f"s{len(catalog):03d}", record["data"]))
        if len(catalog) == 24:
            break
    catalog.append(("twin", catalog[2][1] + " "))  # the test song saved again: same notes, another id
    dataset = tmp_path / "datasets" / "d"
    dataset.mkdir(parents=True)
    splits = {
        "train": {"song_ids": [sid for sid, _ in catalog[4:]]},
        "val": {"song_ids": ["s000"]},
        "test": {"song_ids": ["s001", "s002", "s003"]},
    }
    (dataset / "manifest.json").write_text(json.dumps({"name": "d", "splits": splits}))
    monkeypatch.setattr(tracked, "catalog_songs", lambda _data: list(catalog))
    trained_on: list[str] = []
    real = tracked.unique_patterns

    def spy(pairs):
        pairs = list(pairs)
        trained_on.extend(sid for sid, _ in pairs)
        return real(pairs)

    monkeypatch.setattr(tracked, "unique_patterns", spy)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    cfg = EmbedTrainConfig(steps=2, batch_size=8, warmup=1, checkpoint_interval=0)
    result = tracked.train_and_register(tmp_path, cfg, uri, log=lambda *_a: None)

    held = {"s000", "s001", "s002", "s003", "twin"}
    assert result["held_out_songs"] == 5
    assert set(trained_on) == {sid for sid, _ in catalog} - held
    loaded = load_encoder(uri)
    assert loaded.held_out == held
    from mlflow.tracking import MlflowClient

    params = MlflowClient(tracking_uri=uri).get_run(result["run_id"]).data.params
    assert params["data.held_out_songs"] == "5" and params["data.held_out_datasets"] == "d"
    assert seen_by_embedder(dataset, "test", loaded.held_out) == []  # evaluate may measure them
    assert seen_by_embedder(dataset, "test", frozenset()) == [
        "s001",
        "s002",
        "s003",
    ]  # an older model saw them


def _sounding_song(pitch: int, drums: int, bars: int, last_note_bar: int, beats: int = 8):
    """A song of ``bars`` bars whose first channel plays one note in each bar up to ``last_note_bar``."""
    song = new_song(pitch, drums, bars=bars, beats_per_bar=beats)
    channel = song.channels[0]
    channel.patterns[0].notes = [Note.simple(24, 0, 4)]
    channel.bars = [1] * last_note_bar + [0] * (bars - last_note_bar)
    return song


def test_same_shape_takes_real_songs_of_the_generated_songs_channels_beats_and_length():
    generated = _sounding_song(3, 1, bars=16, last_note_bar=16)
    long_enough = _sounding_song(3, 1, bars=24, last_note_bar=20)
    half_silent = _sounding_song(3, 1, bars=16, last_note_bar=8)  # left at 16 bars with 8 written
    real = [
        long_enough,
        half_silent,
        _sounding_song(3, 1, bars=12, last_note_bar=12),  # too short
        _sounding_song(2, 1, bars=16, last_note_bar=16),  # other channels
        _sounding_song(3, 2, bars=16, last_note_bar=16),
        _sounding_song(3, 1, bars=16, last_note_bar=16, beats=4),  # other beats per bar
    ]
    assert sounding_bars(half_silent) == 8 and sounding_bars(long_enough) == 20
    assert sounding_bars(new_song(3, 1, bars=5, beats_per_bar=8)) == 1  # a silent song: one bar
    posted = same_shape(generated, real)
    assert [s.bar_count for s in posted] == [16, 16]  # cut to the generated song's bars
    assert song_stats(posted[1])["pitch_onsets_per_bar"] == pytest.approx(8 / 16 / 3)  # silence counts
    played = same_shape(generated, real, to_last_note=True)
    assert len(played) == 1 and song_stats(played[0])["pitch_onsets_per_bar"] == pytest.approx(1 / 3)


def test_mean_and_error_skips_songs_without_the_statistic():
    rows = [{"x": 1.0}, {"x": 3.0}, {"x": float("nan")}, {}]
    mean, error, n = mean_and_error(rows, "x")
    assert (mean, n) == (2.0, 2) and error == pytest.approx(np.std([1.0, 3.0], ddof=1) / np.sqrt(2))
    assert mean_and_error([{"x": 5.0}], "x")[2] == 1 and np.isnan(mean_and_error([{"x": 5.0}], "x")[1])
    assert mean_and_error([], "x")[2] == 0
