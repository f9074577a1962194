"""A model trained on a pattern-tokenizer dataset, end to end through the real MLflow store: it generates
songs with header choices and prompts, `beepbrain score` reports bits per note, evaluation reports bits per
note and bar repeat."""

from __future__ import annotations

import json

import pytest

from beepbrain.cli import main
from beepbrain.format import new_song, parse_song
from beepbrain.format.song import Note, NotePin
from beepbrain.generate.sampling import SamplingConfig
from beepbrain.generate.songs import SongRequest, generate_song
from beepbrain.generate.stats import played_notes, song_stats
from beepbrain.tokens import PatternTokenizer


@pytest.fixture(scope="module")
def registered(corpus_records, tmp_path_factory):
    """(data dir, tracking URI, model, tokenizer): a tiny model, 30 steps on 60 real songs, registered."""
    from beepbrain.tokens.dataset import build_dataset_from_songs

    data = tmp_path_factory.mktemp("pattern-model")
    songs = [r["data"] for r in corpus_records[:60]]
    manifest = build_dataset_from_songs(
        songs, data / "datasets" / "pat", augment_channels=2, val_fraction=0.15, test_fraction=0.15
    )
    assert manifest["tokenizer_kind"] == "pattern" and manifest["splits"]["train"]["augmented_songs"] > 0
    uri = f"sqlite:///{data / 'mlflow.db'}"
    model, tokenizer = train_tiny(data, uri, 30)
    assert isinstance(tokenizer, PatternTokenizer)
    return data, uri, model, tokenizer


def train_tiny(data, uri: str, steps: int, **options):
    """A tiny model trained ``steps`` steps on dataset ``pat`` of ``data``, registered in ``uri`` and
    loaded back: (model, tokenizer)."""
    from beepbrain.train import TrainConfig, train
    from beepbrain.train.registry import load_model

    config = TrainConfig(
        dataset="pat",
        data_dir=str(data),
        model="tiny",
        max_steps=steps,
        eval_interval=0,
        checkpoint_interval=0,
        tracking_uri=uri,
        device="cpu",
        **options,
    )
    result = train(config, log=lambda *a, **k: None)
    model, tokenizer, _info = load_model(f"models:/beepbrain/{result.model_version}", uri)
    return model, tokenizer


def test_generated_songs_follow_fixed_header_choices(registered):
    _data, _uri, model, tokenizer = registered
    request = SongRequest(
        rhythm=1,
        pitch_channels=2,
        drum_channels=1,
        bars=3,
        beats_per_bar=4,
        tempo=97,
        key=5,
        instruments=((0, 1), (2, 4)),
    )
    result = generate_song(model, tokenizer, request, SamplingConfig(seed=3))
    song = parse_song(result.url)
    assert (song.tempo, song.key, song.bar_count, song.beats_per_bar) == (97, 5, 3, 4)
    assert [c.instruments[0].type for c in song.channels][0::2] == [1, 4]
    for note in (n for ch in song.channels for p in ch.patterns for n in p.notes):
        assert note.start % 6 == 0 and note.end % 6 == 0  # ÷4 rhythm grid
    again = generate_song(model, tokenizer, request, SamplingConfig(seed=3))
    assert again.url == result.url


def test_model_chooses_the_header_when_not_fixed(registered):
    _data, _uri, model, tokenizer = registered
    tempos = {
        parse_song(
            generate_song(model, tokenizer, SongRequest(bars=1, beats_per_bar=4), SamplingConfig(seed=s)).url
        ).tempo
        for s in range(4)
    }
    assert all(30 <= t <= 300 for t in tempos)


def test_prompt_continuation_keeps_the_prompt(registered, corpus_records):
    _data, _uri, model, tokenizer = registered
    prompt = parse_song(corpus_records[70]["data"])
    prompt_bars = tokenizer.encode(prompt).bars
    result = generate_song(model, tokenizer, SongRequest(bars=2, prompt=prompt), SamplingConfig(seed=1))
    song = result.song
    assert song.bar_count == prompt_bars + 2
    assert (song.tempo, song.key) == (prompt.tempo, prompt.key)
    for c in range(prompt.channel_count):
        for b in range(prompt_bars):
            want = prompt.pattern_at(c, b)
            got = song.pattern_at(c, b)
            key = lambda n: (n.start, n.end, sorted(n.pitches), n.pins)  # noqa: E731 - pitches stored rising
            assert [key(n) for n in (want.notes if want else [])] == [
                key(n) for n in (got.notes if got else [])
            ]
    with pytest.raises(ValueError, match="prompt's own header"):
        generate_song(model, tokenizer, SongRequest(bars=2, prompt=prompt, tempo=90), SamplingConfig())


def test_score_reports_bits_per_note(registered, corpus_records, tmp_path, capsys):
    data, uri, _model, _tokenizer = registered
    songs = [corpus_records[i]["data"] for i in (61, 62)]
    song_file = tmp_path / "song.txt"
    song_file.write_text(songs[1])
    assert (
        main(
            [
                "score",
                songs[0],
                str(song_file),
                "--data-dir",
                str(data),
                "--tracking-uri",
                uri,
                "--format",
                "json",
            ]
        )
        == 0
    )
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 2
    for row, text in zip(rows, songs, strict=True):
        assert row["notes"] == played_notes(parse_song(text)) > 0
        assert row["bits"] > 0 and row["bits_per_note"] == pytest.approx(row["bits"] / row["notes"])
    assert main(["score", "not a song", "--data-dir", str(data), "--tracking-uri", uri]) == 2
    assert "cannot read a song" in capsys.readouterr().err
    # the n-gram baseline fitted on the model's training split, beside the model's figures
    assert (
        main(
            [
                "score",
                songs[0],
                "--data-dir",
                str(data),
                "--tracking-uri",
                uri,
                "--format",
                "json",
                "--baseline",
                "ngram",
            ]
        )
        == 0
    )
    row = json.loads(capsys.readouterr().out)[0]
    assert row["ngram_bits"] > 0 and row["ngram_bits_per_note"] == pytest.approx(
        row["ngram_bits"] / row["notes"]
    )
    assert (
        main(["score", songs[0], "--data-dir", str(tmp_path), "--tracking-uri", uri, "--baseline", "ngram"])
        == 2
    )
    assert "needs the model's dataset" in capsys.readouterr().err


def test_evaluate_reports_bits_per_note_and_bar_repeat(registered):
    from beepbrain.generate.evaluate import evaluate

    data, _uri, model, tokenizer = registered
    result = evaluate(
        model, tokenizer, data / "datasets" / "pat", samples=2, max_bars=2, progress=lambda m: None
    )
    m = result.metrics
    assert m["eval_test_bpn"] > 0 and m["ngram_test_bpn"] > 0
    # the same notes; the model scores windows that are songs (patterns first used before a window are
    # written out in it), so it scores at least the n-gram's tokens
    model_tokens = m["eval_test_bpn"] / m["eval_test_bpt"]
    assert model_tokens >= m["ngram_test_bpn"] / m["ngram_test_bpt"] * (1 - 1e-6)
    assert "bar_repeat" in result.stats["test songs"]
    # both sampling modes, beside the test songs cut to the same bars
    for key in (
        "scale_consistency_free",
        "scale_consistency_constrained",
        "scale_consistency_test",
        "gen_free_pitch_onsets_per_bar",
        "ref_cut_bar_repeat",
    ):
        assert key in m, key
    assert m["gen_header_scale_share"] == 1.0  # the in_scale constraint
    assert all(s.bar_count <= 2 for s in result.songs["model_free"] + result.songs["test_cut"])


def test_bar_repeat_counts_bars_equal_to_an_earlier_bar_of_the_channel():
    song = new_song(2, 0, bars=4, beats_per_bar=4)
    a, b = song.channels
    a.patterns[0].notes = [Note.simple(20, 0, 6)]
    a.patterns[1].notes = [Note.simple(20, 0, 6)]  # another pattern, the same notes: a repeat
    a.patterns[2].notes = [Note.simple(22, 0, 6)]
    a.bars = [1, 2, 3, 0]
    b.patterns[0].notes = [Note.simple(30, 0, 12)]
    b.bars = [1, 1, 1, 1]
    stats = song_stats(song)
    assert stats["bar_repeat"] == pytest.approx(4 / 7)  # a: 1 of 3 non-empty bars; b: 3 of 4
    assert stats["pitch_onsets_per_bar"] == pytest.approx(7 / 4 / 2)


def test_a_model_trained_to_read_channels_registers_them_and_writes_songs(registered, tmp_path):
    """``--channel-embedding`` (with recall, on by default): the registered model keeps its channel marks
    (it reads each token's channel and recall back after loading) and writes valid songs, its cache
    reading them as one pass does."""
    from beepbrain.generate.sampling import ModelScorer

    uri = f"sqlite:///{tmp_path / 'channels.db'}"  # a store of its own: the module's latest model stays
    model, tokenizer = train_tiny(registered[0], uri, 10, channel_embedding=True)
    assert model.config.reads_channels and model.wch is not None and model.wrec is not None
    assert model.config.channel_starts == tokenizer.channel_marks().starts
    song = generate_song(model, tokenizer, SongRequest(bars=3, beats_per_bar=4), SamplingConfig(seed=1))
    assert parse_song(song.url).bar_count == 3
    encoded = tokenizer.encode(parse_song(song.url))
    tokens, cond = encoded.tokens.tolist()[:120], encoded.conditioning.vector()
    cached, whole = ModelScorer(model, cond), ModelScorer(model, cond, use_cache=False)
    for n in range(len(tokens) // 2, len(tokens) + 1):
        assert abs(cached.logits(tokens[:n]) - whole.logits(tokens[:n])).max() < 1e-4


def test_a_prompt_is_checked_for_validity_only_and_the_bars_after_it_keep_the_constraints(registered):
    """A prompt whose notes are off the rhythm grid and out of the header's scale is continued as it is;
    the patterns the model writes after it keep the grid and the scale (the defaults of a new song); a bar
    may still repeat the prompt's own pattern (a REF)."""
    from beepbrain.format import config as fc

    _data, _uri, model, tokenizer = registered
    prompt = new_song(1, 0, bars=2, beats_per_bar=4, rhythm=1, scale=1, key=0)  # ÷4, major scale
    pins = [NotePin(0, 0, 3), NotePin(0, 4, 3)]
    prompt.channels[0].patterns[0].notes = [Note([37], 1, 5, pins)]  # C#: off the grid and the scale
    prompt.channels[0].bars = [1, 1]
    grid = fc.RHYTHM_STEPS_PER_BEAT[1]
    step = fc.PARTS_PER_BEAT // grid
    allowed = set(fc.SCALE_PITCH_CLASSES[1])
    checked = 0
    for seed in range(3):
        song = generate_song(
            model, tokenizer, SongRequest(bars=3, prompt=prompt), SamplingConfig(seed=seed)
        ).song
        assert song.bar_count == 5 and song.pattern_at(0, 0).notes[0].start == 1  # the prompt, as it was
        for b in range(2, 5):
            pattern = song.pattern_at(0, b)
            if pattern is None or pattern.notes == prompt.channels[0].patterns[0].notes:
                continue
            for note in pattern.notes:
                assert note.start % step == 0 and note.end % step == 0
                assert all(p % 12 in allowed for p in note.pitches)
                checked += 1
    assert checked > 0
