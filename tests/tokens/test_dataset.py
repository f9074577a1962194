"""Datasets from songs: files of the contract, manifest, split rules, deduplication, augmentation, loader."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from token_helpers import Note, make_song, note_set  # noqa: E402

from beepbrain.tokens import COND_DIM, Conditioning, TickTokenizer, WindowLoader  # noqa: E402
from beepbrain.tokens.dataset import build_dataset_from_songs as _build  # noqa: E402
from beepbrain.tokens.splits import SPLITS, assign_split, content_key  # noqa: E402
from beepbrain.tokens.tick_vocab import BAR, BOS, EOS, PAD  # noqa: E402


def build_dataset_from_songs(*args, **kwargs):
    """These tests cover the tick tokenizer's datasets."""
    from beepbrain.tokens.tick_config import TickTokenizerConfig

    kwargs.setdefault("config", TickTokenizerConfig())
    return _build(*args, **kwargs)


@pytest.fixture(scope="module")
def corpus_strings(corpus_records) -> list[str]:
    return [r["data"] for r in corpus_records]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory, corpus_strings):
    out = tmp_path_factory.mktemp("ds") / "corpus"
    # every song twice: exact duplicates must collapse and never straddle splits
    manifest = build_dataset_from_songs(
        corpus_strings + corpus_strings[:20], out, val_fraction=0.1, test_fraction=0.1
    )
    return out, manifest


def read_split(out: Path, split: str):
    tokens = np.fromfile(out / f"{split}.tokens", dtype="<u2")
    return tokens, np.load(out / f"{split}.index.npy"), np.load(out / f"{split}.bars.npy")


def test_files_and_manifest(dataset, corpus_strings):
    out, manifest = dataset
    on_disk = json.loads((out / "manifest.json").read_text())
    assert on_disk == manifest
    tok = TickTokenizer.load(out / "tokenizer.json")
    assert manifest["vocab_size"] == tok.vocab_size and manifest["pad_id"] == PAD
    assert manifest["cond_dim"] == COND_DIM
    assert manifest["tokenizer"] == tok.config.to_dict()
    assert manifest["songs_selected"] == len(corpus_strings) + 20
    kept = sum(manifest["splits"][s]["songs"] for s in SPLITS)
    left_out = manifest["duplicates_dropped"] + manifest["songs_rejected"] + manifest["songs_silent"]
    assert kept + left_out == manifest["songs_selected"] and manifest["songs_silent"] > 0
    assert manifest["duplicates_dropped"] >= 20
    assert manifest["songs_rejected"] > 0 and all(r["error"] for r in manifest["rejected"])
    assert manifest["losses"]["notes"] > 0
    for split in SPLITS:
        tokens, index, bars = read_split(out, split)
        info = manifest["splits"][split]
        assert info["songs"] == len(index) > 0 and info["tokens"] == len(tokens) and info["bars"] == len(bars)
        assert index.dtype.names == ("offset", "length", "rhythm", "pitch_channels", "noise_channels")
        assert (index["offset"][1:] == (index["offset"] + index["length"])[:-1]).all()
        assert (tokens[index["offset"]] == BOS).all()
        assert (tokens[index["offset"] + index["length"] - 1] == EOS).all()
        assert np.isin(tokens[bars], [BOS, BAR]).all()
        assert len(bars) == int(np.isin(tokens, [BOS, BAR]).sum())


def test_songs_decode_from_shards(dataset):
    out, _ = dataset
    tok = TickTokenizer.load(out / "tokenizer.json")
    tokens, index, _ = read_split(out, "val")
    for row in index[:5]:
        cond = Conditioning(int(row["rhythm"]), int(row["pitch_channels"]), int(row["noise_channels"]))
        song = tok.decode(tokens[row["offset"] : row["offset"] + row["length"]], cond)
        assert song.pitch_channel_count == row["pitch_channels"]
        assert (
            tok.encode(song).tokens.tolist() == tokens[row["offset"] : row["offset"] + row["length"]].tolist()
        )


def test_split_is_deterministic_and_by_content(tmp_path, corpus_strings):
    a = build_dataset_from_songs(corpus_strings[:60], tmp_path / "a", val_fraction=0.2, test_fraction=0.2)
    b = build_dataset_from_songs(
        list(reversed(corpus_strings[:60])), tmp_path / "b", val_fraction=0.2, test_fraction=0.2
    )
    for split in SPLITS:
        assert a["splits"][split]["song_ids"] == b["splits"][split]["song_ids"]
        assert (tmp_path / "a" / f"{split}.tokens").read_bytes() == (
            tmp_path / "b" / f"{split}.tokens"
        ).read_bytes()


def test_identical_streams_share_a_split(tmp_path):
    """Different song strings with the same token stream are one song: kept once."""
    song = make_song(1, 1, bars=2, notes={0: [(0, Note.simple(60, 0, 12))]})
    twin = make_song(1, 1, bars=2, notes={0: [(0, Note.simple(60, 0, 12))]})
    twin.tempo = 90  # a different song string, the same tokens
    assert song.to_url() != twin.to_url()
    manifest = build_dataset_from_songs([song.to_url(), twin.to_url()], tmp_path / "d")
    assert manifest["duplicates_dropped"] == 1
    assert sum(manifest["splits"][s]["songs"] for s in SPLITS) == 1


def test_transpositions_share_a_split(tmp_path):
    """A song and its transposition are two songs, but one split: augmentation cannot leak test into train."""
    songs, pairs = [], []
    for i in range(12):
        for shift in (0, 5):
            notes = {
                0: [(0, Note.simple(30 + shift + 3 * i, 0, 12)), (0, Note.simple(37 + shift + i, 24, 36))]
            }
            songs.append(make_song(1, 0, bars=1, notes=notes))
        pairs.append((len(songs) - 2, len(songs) - 1))
    manifest = build_dataset_from_songs(
        [s.to_url() for s in songs], tmp_path / "t", val_fraction=0.3, test_fraction=0.3
    )
    assert sum(manifest["splits"][s]["songs"] for s in SPLITS) == 24
    from beepbrain.archive.records import song_id

    split_of = {sid: split for split in SPLITS for sid in manifest["splits"][split]["song_ids"]}
    for a, b in pairs:
        assert split_of[song_id(songs[a].to_url())] == split_of[song_id(songs[b].to_url())]
    assert len({split_of[song_id(s.to_url())] for s in songs}) > 1


def test_assign_split_fractions():
    rng = np.random.default_rng(1)
    keys = [content_key(rng.integers(0, 100, 50), Conditioning(1, 2, 1)) for _ in range(2000)]
    counts = {s: 0 for s in SPLITS}
    for k in keys:
        counts[assign_split(k, 0.1, 0.2)] += 1
        assert assign_split(k, 0.1, 0.2) == assign_split(k, 0.1, 0.2)
    assert 150 < counts["val"] < 250 and 320 < counts["test"] < 480


def test_transpose_augments_train_only(tmp_path):
    songs = [
        make_song(
            1,
            1,
            bars=1,
            notes={
                0: [(0, Note.simple(40, 0, 12)), (0, Note.simple(41 + i, 12, 24))],
                1: [(0, Note.simple(1, 0, 6))],
            },
        )
        for i in range(6)
    ]
    plain = build_dataset_from_songs(songs, tmp_path / "p", val_fraction=0.2, test_fraction=0.2)
    aug = build_dataset_from_songs(
        songs, tmp_path / "a", val_fraction=0.2, test_fraction=0.2, augment_transpose=2
    )
    train = plain["splits"]["train"]["songs"]
    assert aug["splits"]["train"]["augmented_songs"] == 4 * train
    assert aug["splits"]["train"]["songs"] == 5 * train
    for split in ("val", "test"):
        assert aug["splits"][split] == plain["splits"][split]
        assert aug["splits"][split]["augmented_songs"] == 0
    tok = TickTokenizer.load(tmp_path / "a" / "tokenizer.json")
    tokens, index, _ = read_split(tmp_path / "a", "train")
    pitches = set()
    for row in index:
        song = tok.decode(tokens[row["offset"] : row["offset"] + row["length"]], Conditioning(1, 1, 1))
        pitches |= {n[4] for n in note_set(song) if n[0] == 0}
        assert {n[4] for n in note_set(song) if n[0] == 1} == {(1,)}  # drums stay
    assert len(pitches) > train


def test_existing_dataset_is_kept(tmp_path):
    songs = [make_song(1, 0, bars=1, notes={0: [(0, Note.simple(50, 0, 12))]})]
    build_dataset_from_songs(songs, tmp_path / "d")
    with pytest.raises(FileExistsError):
        build_dataset_from_songs(songs, tmp_path / "d")
    build_dataset_from_songs(songs, tmp_path / "d", overwrite=True)


def test_loader(dataset):
    out, manifest = dataset
    loader = WindowLoader(out, "train", block_size=512, batch_size=8, seed=3)
    assert loader.vocab_size == manifest["vocab_size"] and loader.cond_dim == COND_DIM
    x, y, cond = loader.get_batch(7)
    assert x.shape == y.shape == (8, 512) and cond.shape == (8, 512, COND_DIM)
    assert (
        str(x.dtype) == "torch.int64" and str(y.dtype) == "torch.int64" and str(cond.dtype) == "torch.float32"
    )
    assert (x[:, 0] == BOS).all()  # every row starts a song (a tick window from bar b: BOS, bars b..)
    assert (cond.sum(dim=2) == 3).all()
    # y is x shifted by one inside each song; -1 where the next token starts another song; no padding
    inside = y[:, :-1] >= 0
    assert (x[:, 1:][inside] == y[:, :-1][inside]).all()
    assert (x != PAD).all()
    assert ((y == -1) == (torch_roll_left(x) == BOS)).all()
    x2, y2, c2 = WindowLoader(out, "train", block_size=512, batch_size=8, seed=3).get_batch(7)
    assert (x2 == x).all() and (y2 == y).all() and (c2 == cond).all()
    x3, _, _ = loader.get_batch(8)
    assert not (x3 == x).all()
    assert not (WindowLoader(out, "train", seed=4).get_batch(7)[0] == x).all()


def torch_roll_left(x):
    """x moved one place left, its last column the token that would follow (unknown: not BOS)."""
    out = x.roll(-1, dims=1)
    out[:, -1] = PAD
    return out


def test_loader_conditioning_matches_song(dataset):
    out, _ = dataset
    loader = WindowLoader(out, "val", block_size=64, batch_size=32, seed=0)
    x, _, cond = loader.get_batch_numpy(0)
    first = loader.index[0]
    want = Conditioning(int(first["rhythm"]), int(first["pitch_channels"]), int(first["noise_channels"]))
    assert np.array_equal(loader.cond_vectors[0], want.vector())
    for r in range(len(x)):  # each position carries the conditioning of the song it belongs to
        starts = np.flatnonzero(x[r] == BOS)
        for a, b in zip(starts, list(starts[1:]) + [len(x[r])], strict=True):
            assert (cond[r, a:b] == cond[r, a]).all()


def test_loader_errors(tmp_path, dataset):
    with pytest.raises(FileNotFoundError):
        WindowLoader(tmp_path, "train")
    with pytest.raises(ValueError):
        WindowLoader(dataset[0], "training")


def test_loader_covers_long_songs_with_windows_that_are_songs(tmp_path):
    """A song longer than the context gets windows from later bar lines; each is BOS then that bar on."""
    notes = {c: [(b, Note.simple(40 + c + b, 0, 48)) for b in range(6)] for c in range(4)}
    song = make_song(3, 1, bars=6, beats_per_bar=16, notes=notes)
    out = tmp_path / "long"
    build_dataset_from_songs([song.to_url()], out, val_fraction=0, test_fraction=0)
    loader = WindowLoader(out, "train", block_size=128, batch_size=4)
    tokens = np.fromfile(out / "train.tokens", dtype="<u2")
    lines = loader.tokenizer.bar_lines(tokens)
    assert len(loader.starts) > 3 and loader.starts[0].tolist() == [0, 0]
    for song_index, bar in loader.starts:
        window = loader.window(song_index, bar)
        assert window[0] == BOS and len(window) <= 129
        assert window[1:].tolist() == tokens[lines[bar] + 1 : lines[bar] + len(window)].tolist()


def test_silent_songs_are_left_out_and_counted(tmp_path):
    from beepbrain.tokens import PatternTokenizer

    playing = make_song(1, 0, bars=2, notes={0: [(0, Note.simple(50, 0, 12))]})
    silent = make_song(2, 1, bars=3)
    manifest = _build(
        [playing.to_url(), silent.to_url()],
        tmp_path / "d",
        tokenizer=PatternTokenizer(),
        val_fraction=0,
        test_fraction=0,
    )
    assert manifest["songs_silent"] == 1 and manifest["songs_selected"] == 2
    assert manifest["splits"]["train"]["songs"] == 1


def test_key_augmentation_keeps_the_notes_and_moves_the_key(tmp_path):
    """Pattern-tokenizer notes are written relative to the key: a copy in another key changes only KEY, so
    every note stays in the declared scale; octave copies move pitch-channel notes by 12."""
    from beepbrain.tokens import PatternTokenizer
    from beepbrain.tokens.loader import WindowLoader as Loader

    tok = PatternTokenizer()
    song = make_song(1, 1, bars=2, notes={0: [(0, Note.simple(30, 0, 12))], 1: [(1, Note.simple(3, 0, 12))]})
    manifest = _build(
        [song.to_url()],
        tmp_path / "k",
        tokenizer=tok,
        val_fraction=0,
        test_fraction=0,
        augment_transpose=2,
        augment_octaves=1,
    )
    assert manifest["splits"]["train"]["augmented_songs"] == 4 + 2
    loader = Loader(tmp_path / "k", "train")
    songs = [loader.song_tokens(i) for i in range(len(loader.index))]
    keys = [tok.key_of(s) for s in songs]
    assert sorted(keys[:5]) == sorted([0, 1, 11, 2, 10])
    decoded = [tok.decode(s, loader.conds[i]) for i, s in enumerate(songs)]
    for d in decoded[:5]:  # key copies: the same notes, drums included
        assert d.channels[0].patterns[0].notes[0].pitches == [30]
        assert d.channels[1].patterns[0].notes[0].pitches == [3]
    assert sorted(d.channels[0].patterns[0].notes[0].pitches[0] for d in decoded[5:]) == [18, 42]
    assert all(d.channels[1].patterns[0].notes[0].pitches == [3] for d in decoded[5:])  # drums stay


def test_song_balance_draws_songs_alike_or_windows_alike(tmp_path):
    """A long song of K windows is drawn K times as often as a short one with song_balance 0 (its header
    learned K times over), and as often as any other song with 1; the draw stays a function of (seed, step)."""
    notes = {c: [(b, Note.simple(40 + c + b, 0, 48)) for b in range(6)] for c in range(4)}
    long_song = make_song(3, 1, bars=6, beats_per_bar=16, notes=notes)  # 3 pitch channels: its own cond
    short = [make_song(1, 0, bars=1, notes={0: [(0, Note.simple(50 + k, 0, 12))]}) for k in range(4)]
    out = tmp_path / "mixed"
    build_dataset_from_songs([s.to_url() for s in [long_song, *short]], out, val_fraction=0, test_fraction=0)

    def long_share(balance: float) -> tuple[float, int]:
        loader = WindowLoader(out, "train", block_size=128, batch_size=4, seed=1, song_balance=balance)
        long_cond = Conditioning(long_song.rhythm, 3, 1).vector()
        drawn = hits = 0
        for step in range(150):
            x, _, cond = loader.get_batch_numpy(step)
            rows, cols = np.nonzero(x == BOS)
            drawn += len(rows)
            hits += int(np.all(cond[rows, cols] == long_cond, axis=1).sum())
        long_index = [k for k, c in enumerate(loader.conds) if c.pitch_channels == 3]
        return hits / drawn, int(np.isin(loader.starts[:, 0], long_index).sum())

    per_window, windows = long_share(0.0)
    per_song, _ = long_share(1.0)
    assert windows >= 4  # the long song's windows; each short song has one
    assert abs(per_window - windows / (windows + 4)) < 0.08
    assert abs(per_song - 1 / 5) < 0.06
    loader = WindowLoader(out, "train", block_size=128, batch_size=4, seed=1, song_balance=1.0)
    again = WindowLoader(out, "train", block_size=128, batch_size=4, seed=1, song_balance=1.0)
    assert np.array_equal(loader.get_batch_numpy(3)[0], again.get_batch_numpy(3)[0])
    every_window = WindowLoader(out, "train", block_size=128, batch_size=4, seed=1)
    assert np.allclose(every_window.draw_chances(1.0), loader.draw_chances())  # another balance, same windows
    assert np.allclose(every_window.draw_chances(), 1 / len(every_window.starts))
    with pytest.raises(ValueError, match="song_balance"):
        WindowLoader(out, "train", song_balance=1.5)
