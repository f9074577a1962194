"""Songs from a tiny model trained for a few steps on real songs: valid, as asked, reproducible."""

from __future__ import annotations

from pathlib import Path

import mido
import numpy as np
import pytest
import torch

from beepbrain.format import parse_song
from beepbrain.generate.export import write_batch
from beepbrain.generate.sampling import SamplingConfig
from beepbrain.generate.songs import SongRequest, generate_song, generate_tokens
from beepbrain.model import CONFIGS, GPT
from beepbrain.tokens import TickTokenizer


@pytest.fixture(scope="module")
def trained(corpus_records):
    """A tiny GPT trained for 40 steps on bar-aligned windows of the first parseable test songs."""
    tokenizer = TickTokenizer()
    streams = []
    for record in corpus_records:
        try:
            song = parse_song(record["data"])
        except ValueError:
            continue
        encoded = tokenizer.encode(song)
        streams.append((encoded.tokens.astype(np.int64), encoded.conditioning.vector(), encoded.bar_offsets))
        if len(streams) == 30:
            break
    torch.manual_seed(0)
    model = GPT(CONFIGS["tiny"].with_data(tokenizer.vocab_size))
    T = model.config.block_size
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    rng = np.random.default_rng(0)
    for _ in range(40):
        xs, ys, cs = [], [], []
        for _ in range(8):
            tokens, cond, bars = streams[rng.integers(len(streams))]
            start = int(rng.choice(bars))
            chunk = tokens[start : start + T + 1]
            x = np.full(T, tokenizer.pad_id)
            y = np.full(T, -1)
            x[: len(chunk) - 1], y[: len(chunk) - 1] = chunk[:-1], chunk[1:]
            xs.append(x), ys.append(y), cs.append(cond)
        _, loss = model(torch.tensor(np.array(xs)), torch.tensor(np.array(cs)), torch.tensor(np.array(ys)))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval(), tokenizer


@pytest.mark.parametrize("rhythm,pitch,drums,bars,bpb", [(1, 3, 1, 2, 8), (3, 1, 0, 1, 4), (0, 4, 2, 2, 6)])
def test_generated_song_is_valid_and_as_asked(trained, rhythm, pitch, drums, bars, bpb):
    model, tokenizer = trained
    request = SongRequest(
        rhythm=rhythm, pitch_channels=pitch, drum_channels=drums, bars=bars, beats_per_bar=bpb
    )
    result = generate_song(model, tokenizer, request, SamplingConfig(seed=7))
    assert result.url.startswith("https://www.beepbox.co/#9")
    song = parse_song(result.url)  # the project's own codec reads it back
    assert (song.rhythm, song.pitch_channel_count, song.noise_channel_count) == (rhythm, pitch, drums)
    assert (song.bar_count, song.beats_per_bar) == (bars, bpb)
    assert song.to_url() == result.song.to_url()
    for ch in range(song.channel_count):
        top = 11 if song.is_noise_channel(ch) else 84
        for pattern in song.channels[ch].patterns:
            for note in pattern.notes:
                assert all(0 <= p <= top for p in note.pitches)
                assert 0 <= note.start < note.end <= song.parts_per_bar


def test_same_seed_same_song_and_cache_equals_full_pass(trained):
    model, tokenizer = trained
    request = SongRequest(bars=6, pitch_channels=2, drum_channels=1, beats_per_bar=3)
    a = generate_song(model, tokenizer, request, SamplingConfig(seed=11))
    b = generate_song(model, tokenizer, request, SamplingConfig(seed=11))
    c = generate_song(model, tokenizer, request, SamplingConfig(seed=12))
    assert a.url == b.url and a.tokens == b.tokens
    assert c.tokens != a.tokens
    scorers = []
    cached, _, _ = generate_tokens(model, tokenizer, request, SamplingConfig(seed=11), scorer_out=scorers)
    full, _, _ = generate_tokens(model, tokenizer, request, SamplingConfig(seed=11), use_cache=False)
    assert len(cached) > model.config.block_size and scorers[0].window.slides >= 1  # the view moved on
    assert scorers[0].window.view[0] == tokenizer.bos_id  # and is a song of its own
    assert cached == full == a.tokens


def test_prompt_is_continued(trained, corpus_records):
    model, tokenizer = trained
    prompt = None
    for record in corpus_records:
        try:
            song = parse_song(record["data"])
        except ValueError:
            continue
        if song.beats_per_bar <= 8 and tokenizer.encode(song).bars <= 2:
            prompt = song
            break
    assert prompt is not None
    prompt_bars = tokenizer.encode(prompt).bars
    result = generate_song(model, tokenizer, SongRequest(bars=1, prompt=prompt), SamplingConfig(seed=1))
    song = parse_song(result.url)
    assert song.bar_count == prompt_bars + 1
    assert (song.tempo, song.key, song.pitch_channel_count) == (
        prompt.tempo,
        prompt.key,
        prompt.pitch_channel_count,
    )
    prefix = tokenizer.encode(prompt).tokens[:-1].tolist()
    assert result.tokens[: len(prefix)] == prefix


def test_written_files_open(trained, tmp_path):
    model, tokenizer = trained
    result = generate_song(
        model, tokenizer, SongRequest(bars=2, pitch_channels=2, drum_channels=1), SamplingConfig(seed=3)
    )
    [row] = write_batch([result], tmp_path)
    song = parse_song(Path(row["json"]).read_text())
    assert song.to_url() == result.song.to_url()
    assert Path(row["url_file"]).read_text().strip() == result.url
    midi = mido.MidiFile(row["midi"])
    expected = sum(
        len(n.pitches)
        for ch in range(song.channel_count)
        for b in range(song.bar_count)
        if (p := song.pattern_at(ch, b))
        for n in p.notes
    )
    ons = sum(1 for t in midi.tracks for m in t if m.type == "note_on" and m.velocity > 0)
    assert expected > 0 and ons == expected
    assert (tmp_path / "index.jsonl").exists()
