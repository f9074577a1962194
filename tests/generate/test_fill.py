"""Fill and accompany (generate/fill.py, `beepbrain fill`, `beepbrain score --hole`): on real songs the result
keeps every cell outside the hole note for note, opens in BeepBox (the codec's round trip), and the errors
are one line with exit 2."""

from __future__ import annotations

import copy
import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from beepbrain.format import parse_song
from beepbrain.generate.fill import add_channel, bar_cells, fill_song, hole_bits, repeat_leaders
from beepbrain.generate.sampling import SamplingConfig
from beepbrain.generate.stats import sounding_bars
from beepbrain.model import GPT
from beepbrain.model.gpt import GPTConfig
from beepbrain.tokens import PatternTokenizer
from beepbrain.tokens.pattern_vocab import EMPTY


@pytest.fixture(scope="module")
def songs(corpus_records):
    out = []
    for record in corpus_records:
        try:
            out.append(parse_song(record["data"]))
        except ValueError:
            continue
        if len(out) == 8:
            break
    return out


@pytest.fixture(scope="module")
def model_and_tok():
    torch.manual_seed(0)
    tok = PatternTokenizer()
    model = GPT(GPTConfig(vocab_size=tok.vocab_size, block_size=512, n_layer=2, n_head=2, n_embd=32)).eval()
    return model, tok


def notes_at(song, c, b):
    pattern = song.pattern_at(c, b)
    return pattern.notes if pattern is not None else []


@pytest.mark.parametrize("layout", ["inline", "fill"])
def test_fill_bars_keeps_everything_outside_the_hole(songs, model_and_tok, layout):
    model, tok = model_and_tok
    for i, song in enumerate(songs):
        cells = bar_cells(song, 2, min(4, song.bar_count), [1] if i % 2 else None)
        result = fill_song(model, tok, song, cells, SamplingConfig(seed=i), layout=layout)
        assert parse_song(result.song.to_url()).to_url() == result.song.to_url()
        for c in range(song.channel_count):
            assert result.song.channels[c].instruments == song.channels[c].instruments
            for b in range(song.bar_count):
                if (b, c) not in cells:
                    assert notes_at(result.song, c, b) == notes_at(song, c, b), (i, b, c)
        assert (result.song.tempo, result.song.key, result.song.scale) == (song.tempo, song.key, song.scale)


@pytest.mark.parametrize("layout", ["inline", "fill"])
def test_add_channel_keeps_the_song_and_writes_the_new_one(songs, model_and_tok, layout):
    model, tok = model_and_tok
    song = songs[0]
    result = add_channel(model, tok, song, "drum", SamplingConfig(seed=3), layout=layout)
    out = result.song
    assert out.noise_channel_count == song.noise_channel_count + 1
    assert out.pitch_channel_count == song.pitch_channel_count
    new = song.channel_count  # drums go after the existing channels
    assert len(result.holes) == sounding_bars(song) and {c for _b, c in result.holes} == {new}
    for c in range(song.channel_count):
        for b in range(song.bar_count):
            assert notes_at(out, c, b) == notes_at(song, c, b)
    for b in range(out.bar_count):  # the new channel plays drums only
        assert all(p < 12 for note in notes_at(out, new, b) for p in note.pitches)
    pitch = add_channel(model, tok, song, "pitch", SamplingConfig(seed=4), instrument_type=1, layout=layout)
    assert pitch.song.pitch_channel_count == song.pitch_channel_count + 1
    assert pitch.song.channels[song.pitch_channel_count].instruments[0].type == 1  # FM, as asked
    for c in range(song.pitch_channel_count, song.channel_count):  # drums moved one place on, unchanged
        for b in range(song.bar_count):
            assert notes_at(pitch.song, c + 1, b) == notes_at(song, c, b)


def test_an_added_channel_leaves_the_silent_bars_after_the_songs_last_note_silent(songs, model_and_tok):
    """A song saved with empty bars after its music (BeepBox's 16 bars, 4 of them written) gets its added
    channel up to its last note: the model reads songs without those bars, and the song leaves them silent."""
    model, tok = model_and_tok
    song = copy.deepcopy(next(s for s in songs if sounding_bars(s) >= 3))
    written = sounding_bars(song)
    song.bar_count = written + 5
    for channel in song.channels:
        channel.bars = channel.bars[:written] + [0] * 5
    for layout in ("inline", "fill"):
        result = add_channel(model, tok, song, "drum", SamplingConfig(seed=2), layout=layout)
        new = song.channel_count
        assert result.song.bar_count == written + 5
        assert [b for b, _c in result.holes] == list(range(written))
        assert any(notes_at(result.song, new, b) for b in range(written))
        assert not any(notes_at(result.song, new, b) for b in range(written, written + 5)), layout
        assert parse_song(result.song.to_url()).to_url() == result.song.to_url()


class Silent(GPT):
    """A model that would leave every bar item silent (EMPTY far above every other token)."""

    def forward(self, idx, cond, targets=None, cache=None):
        logits, loss = super().forward(idx, cond, targets, cache)
        return logits.index_add(-1, torch.tensor([EMPTY]), torch.full_like(logits[..., :1], 50.0)), loss


def test_an_added_channel_starts_with_notes_unless_free(songs):
    """As a new song's first bar sounds, an added channel's first bar does (in place, with the default
    constraints), even where the model would leave it silent; the rest is the model's. Free, it is not."""
    torch.manual_seed(0)
    tok = PatternTokenizer()
    model = Silent(
        GPTConfig(vocab_size=tok.vocab_size, block_size=512, n_layer=1, n_head=2, n_embd=32)
    ).eval()
    song = songs[0]
    new = song.channel_count
    kept = add_channel(model, tok, song, "drum", SamplingConfig(seed=1))
    assert notes_at(kept.song, new, 0) and not any(
        notes_at(kept.song, new, b) for b in range(1, song.bar_count)
    )
    free = add_channel(model, tok, song, "drum", SamplingConfig(seed=1), constraints=False)
    assert not any(notes_at(free.song, new, b) for b in range(song.bar_count))


def test_repeat_leaders_pair_holes_whose_bars_repeat_in_every_other_channel():
    a, b = (1, 2, 3), (4, 5)
    rows = [[a, ()], [b, ()], [a, ()], [b, ()], [(), ()], [(), ()], [a, ()]]
    drums = [(bar, 1) for bar in range(7)]
    assert repeat_leaders(rows, drums) == {
        (2, 1): (0, 1),
        (3, 1): (1, 1),
        (6, 1): (0, 1),
    }  # silent bars lead none
    assert repeat_leaders(rows, drums + [(2, 0)]) == {
        (3, 1): (1, 1),
        (6, 1): (0, 1),
    }  # bar 2 is a hole itself
    assert repeat_leaders(rows, [(2, 1), (3, 1)]) == {}  # a leader must be a hole too


def test_follow_repeats_plays_the_leaders_pattern_where_the_song_repeats(songs, model_and_tok):
    model, tok = model_and_tok

    def leaders_of(song):
        new = song.channel_count
        rows = [[song.pattern_at(c, b) for c in range(new)] + [None] for b in range(song.bar_count)]
        bodies = [[tuple(map(repr, p.notes)) if p is not None else () for p in row] for row in rows]
        return repeat_leaders(bodies, [(b, new) for b in range(song.bar_count)])

    song = next(s for s in songs if s.noise_channel_count and leaders_of(s))  # a song that repeats bars
    new = song.channel_count
    result = add_channel(model, tok, song, "drum", SamplingConfig(seed=5), follow_repeats=True)
    for (b, _c), (a, _) in leaders_of(song).items():
        assert notes_at(result.song, new, b) == notes_at(result.song, new, a)
    for c in range(song.channel_count):
        for b in range(song.bar_count):
            assert notes_at(result.song, c, b) == notes_at(song, c, b)
    loose = add_channel(model, tok, song, "drum", SamplingConfig(seed=5))  # each bar on its own
    assert any(
        notes_at(loose.song, new, b) != notes_at(loose.song, new, a)
        for (b, _c), (a, _) in leaders_of(song).items()
    )


def test_hole_bits_score_the_real_content_and_context_changes_them(songs, model_and_tok):
    model, tok = model_and_tok
    song = songs[2]
    cells = bar_cells(song, 1, 2)
    full = hole_bits(model, tok, song, cells, "full")
    header = hole_bits(model, tok, song, cells, "header")
    assert full[2] == header[2] == sum(len(notes_at(song, c, b)) for b, c in cells)
    assert full[0] > 0 and header[0] > 0 and full[1] > 0
    with pytest.raises(ValueError, match="context"):
        hole_bits(model, tok, song, cells, "nonsense")


@pytest.fixture(scope="module")
def long_song(corpus_records):
    """A real song whose stream is several contexts of the small model long (the view slides over it)."""
    tok = PatternTokenizer()
    for record in corpus_records:
        try:
            song = parse_song(record["data"])
        except ValueError:
            continue
        tokens = tok.encode(song).tokens
        lines = np.append(tok.bar_lines(tokens), len(tokens))
        longest = lines[0] + np.diff(lines).max() if len(lines) > 1 else len(tokens)  # header + a bar
        if song.noise_channel_count and song.pitch_channel_count > 1 and len(tokens) > 1800 and longest < 260:
            return song
    pytest.skip("no long song in the corpus")


def test_in_place_keeps_every_other_cell_while_the_view_slides(long_song, model_and_tok):
    """Cells written in place: every other cell is the song's own (forced, numbered as the stream numbers
    it once the model's patterns are in the channel's table), also after the view moved on, and with
    followers playing their leader's pattern."""
    from beepbrain.generate.inline import write_in_place

    model, tok = model_and_tok
    song = long_song
    bars = min(song.bar_count, 128)
    drums = song.pitch_channel_count
    span = [(b, 0) for b in range(2, min(6, bars))]  # a hole in channel 1 whose later bars are given
    whole = [(b, drums) for b in range(bars)]
    for cells, follow in ((span, False), (whole, True)):
        result = write_in_place(model, tok, song, cells, SamplingConfig(seed=2), follow_repeats=follow)
        assert parse_song(result.song.to_url()).to_url() == result.song.to_url()
        for c in range(song.channel_count):
            for b in range(song.bar_count):
                if (b, c) not in cells:
                    assert notes_at(result.song, c, b) == notes_at(song, c, b), (b, c)
        assert (result.song.tempo, result.song.key, result.song.scale) == (song.tempo, song.key, song.scale)
    rows = [[tuple(map(repr, notes_at(song, c, b))) for c in range(song.channel_count)] for b in range(bars)]
    for (b, _c), (a, _) in repeat_leaders(rows, whole).items():
        assert notes_at(result.song, drums, b) == notes_at(result.song, drums, a)


def test_inline_hole_bits_score_the_cells_tokens_in_place(long_song, model_and_tok):
    """``inline`` scores each cell's item where the song has it: the bits of disjoint cells add up, and the
    tokens scored are the items' tokens, across every window of a long song."""
    model, tok = model_and_tok
    song = long_song
    bars = min(song.bar_count, 128)
    drums = [(b, song.pitch_channel_count) for b in range(bars)]
    melody = [(b, 0) for b in range(bars)]
    d_bits, d_tokens, d_notes = hole_bits(model, tok, song, drums, "inline")
    m_bits, m_tokens, _ = hole_bits(model, tok, song, melody, "inline")
    both_bits, both_tokens, _ = hole_bits(model, tok, song, drums + melody, "inline")
    assert d_notes == sum(len(notes_at(song, c, b)) for b, c in drums)
    assert d_tokens >= bars and m_tokens >= bars  # at least one token (EMPTY, REF or a pattern) per cell
    assert both_tokens == d_tokens + m_tokens
    assert both_bits == pytest.approx(d_bits + m_bits, rel=1e-4)


def run_cli(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "beepbrain.cli", *args], capture_output=True, text=True, timeout=300, env=env
    )


@pytest.mark.parametrize(
    "args,message",
    [
        (["--bars", "0-3"], "outside the song"),
        (["--bars", "3-2"], "comes after"),
        (["--bars", "1-2", "--channels", "9"], "channel 9 is outside"),
        (["--add-channel", "pitch", "--instrument", "noise"], "instrument is one of"),
        (["--bars", "1", "--instrument", "FM"], "--instrument goes with --add-channel"),
    ],
)
def test_fill_refuses_bad_requests_in_one_line(songs, tmp_path, args, message):
    proc = run_cli("fill", songs[0].to_url(), *args, "--data-dir", str(tmp_path))
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_fill_refuses_a_song_beepbox_could_not_hold_or_read(tmp_path):
    from beepbrain.format import new_song

    full = new_song(1, 5, bars=4)
    proc = run_cli("fill", full.to_url(), "--add-channel", "drum", "--data-dir", str(tmp_path))
    assert proc.returncode == 2 and "at most 5" in proc.stderr
    proc = run_cli("fill", "9zzzzbroken", "--bars", "1", "--data-dir", str(tmp_path))
    assert proc.returncode == 2 and proc.stderr.startswith("error: cannot read the song")


@pytest.fixture(scope="module")
def registered(tmp_path_factory, corpus_records):
    """A pattern-tokenizer dataset and a tiny model trained a few steps with fill tasks, registered in a real
    MLflow store (the path `beepbrain run` takes)."""
    from beepbrain.tokens.dataset import build_dataset_from_songs
    from beepbrain.train import TrainConfig, train

    data = tmp_path_factory.mktemp("filldata")
    build_dataset_from_songs(
        [r["data"] for r in corpus_records[:40]],
        data / "datasets" / "f",
        tokenizer=PatternTokenizer(),
        val_fraction=0.1,
        test_fraction=0,
    )
    result = train(
        TrainConfig(
            dataset="f",
            data_dir=str(data),
            model="tiny",
            max_steps=3,
            batch_size=2,
            eval_interval=0,
            eval_batches=1,
            checkpoint_interval=0,
            log_interval=1,
            fill=0.5,
        ),
        log=lambda *a, **k: None,
    )
    assert result.model_version
    return data


def test_fill_and_score_hole_commands_with_a_registered_model(registered, songs, tmp_path):
    song = songs[1]
    out = tmp_path / "out"
    proc = run_cli(
        "fill",
        song.to_url(),
        "--bars",
        "2-3",
        "--channels",
        "1",
        "--data-dir",
        str(registered),
        "--out",
        str(out),
        "--seed",
        "5",
    )
    assert proc.returncode == 0, proc.stderr
    url = next(line for line in proc.stdout.splitlines() if line.startswith("https://www.beepbox.co/#"))
    filled = parse_song(url.split("#", 1)[1])
    for c in range(song.channel_count):
        for b in range(song.bar_count):
            if not (c == 0 and b in (1, 2)):
                assert notes_at(filled, c, b) == notes_at(song, c, b)
    assert list(out.glob("*.mid")) and list(out.glob("*.json"))
    for extra in ([], ["--no-follow-repeats"], ["--layout", "fill"]):
        proc = run_cli(
            "fill", song.to_url(), "--add-channel", "drum", *extra, "--data-dir", str(registered), "--out", str(out)
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
    for context in ("header", "inline"):
        proc = run_cli(
            "score", song.to_url(), "--hole", "1-2:1", "--context", context, "--format", "json",
            "--data-dir", str(registered),
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        [row] = json.loads(proc.stdout)
        assert row["notes"] == sum(len(notes_at(song, 0, b)) for b in (0, 1))
        assert row["bits"] > 0 and (
            row["bits_per_note"] is None or np.isclose(row["bits_per_note"], row["bits"] / row["notes"])
        )
