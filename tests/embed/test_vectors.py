"""The pattern grid, the edits, the encoder's invariances and the Fréchet distance (fast, no training)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from beepbrain.embed import augment
from beepbrain.embed.frechet import frechet_distance, frechet_matched, random_patterns
from beepbrain.embed.grid import STEPS, PatternNotes, pattern_notes, render, song_patterns
from beepbrain.embed.model import EmbedConfig, PatternEncoder
from beepbrain.embed.songs import transpose_song
from beepbrain.embed.vectors import encode, song_vector
from beepbrain.format import Note, Pattern, Song
from beepbrain.format.song import Channel


def _song(beats: int = 4) -> Song:
    melody = Pattern([Note.simple(24, 0, 12), Note.simple([28, 31], 24, 48), Note.simple(36, 72, 96)])
    drums = Pattern([Note.simple(2, 0, 6), Note.simple(5, 48, 54)])
    return Song(
        beats_per_bar=beats,
        bar_count=3,
        pitch_channel_count=1,
        noise_channel_count=1,
        channels=[
            Channel(octave=2, patterns=[melody, Pattern([])], bars=[1, 1, 2]),
            Channel(patterns=[drums], bars=[1, 0, 1]),
        ],
    )


def test_pattern_notes_place_notes_on_the_96_step_grid():
    song = _song(beats=4)  # 96 parts a bar: one step a part
    notes = pattern_notes(song, 0, song.channels[0].patterns[0])
    assert notes.tolist() == [[0, 12, 24], [24, 48, 28], [24, 48, 31], [72, 96, 36]]  # the notes' own pitches
    song8 = _song(beats=8)  # 192 parts a bar: two parts a step
    assert pattern_notes(song8, 0, song8.channels[0].patterns[0])[:, :2].tolist() == [
        [0, 6],
        [12, 24],
        [12, 24],
        [36, 48],
    ]
    pats = list(song_patterns(song))
    assert [(p.channel, p.pattern, p.is_noise, p.bars) for p in pats] == [(0, 1, False, 2), (1, 1, True, 2)]


def test_moving_a_channels_octave_scroll_bar_changes_no_grid():
    """BeepBox's notes hold absolute pitches; the channel's octave is the editor's scroll bar, so a song
    re-saved with it moved (nothing else changed) has the original's grids, not transposed ones."""
    from beepbrain.format import parse_song

    song = _song()
    song.patterns_per_channel, song.loop_length = 2, 3  # as a saved song has them, for the URL codec
    original = parse_song(song.to_url())
    for octave in (0, 3, 6):
        song.channels[0].octave = octave
        resaved = parse_song(song.to_url())
        assert resaved.channels[0].octave == octave
        pats, base = list(song_patterns(resaved)), list(song_patterns(original))
        assert [(p.channel, p.pattern, p.bars, p.notes.tolist()) for p in pats] == [
            (p.channel, p.pattern, p.bars, p.notes.tolist()) for p in base
        ]
    model = PatternEncoder(EmbedConfig()).eval()
    assert np.array_equal(encode(model, pats), encode(model, base))


def test_render_is_relative_to_the_lowest_note():
    notes = np.array([[0, 12, 48], [24, 48, 55]], dtype=np.int16)
    grid = render(notes)
    assert grid.shape == (2, STEPS, 64) and grid[0].sum() == 2 and grid[1].sum() == 12 + 24
    assert np.array_equal(render(augment.transpose(notes, 5)), grid)


def test_edits_change_exactly_one_note():
    rng = np.random.default_rng(1)
    notes = np.array([[0, 12, 48], [24, 48, 55], [48, 60, 50], [72, 96, 60]], dtype=np.int16)
    for _ in range(50):
        removed = augment.remove_note(notes, rng)
        added = augment.add_note(notes, rng)
        moved = augment.move_note(notes, rng)
        as_set = {tuple(n) for n in notes.tolist()}
        assert len(removed) == 3 and {tuple(n) for n in removed.tolist()} < as_set
        assert len(added) in (4, 5) and as_set <= {tuple(n) for n in added.tolist()}
        assert len(as_set - {tuple(n) for n in moved.tolist()}) <= 1
        assert (moved[:, 0] >= 0).all() and (moved[:, 1] <= STEPS).all() and (moved[:, 1] > moved[:, 0]).all()


def test_encoder_is_blind_to_transposition_but_not_to_rhythm():
    torch.manual_seed(0)
    model = PatternEncoder(EmbedConfig()).eval()
    notes = np.array([[0, 12, 48], [24, 48, 55], [48, 60, 50]], dtype=np.int16)
    moved = notes.copy()
    moved[1, 0:2] += 12
    v = encode(model, [(notes, False), (augment.transpose(notes, 7), False), (moved, False), (notes, True)])
    assert v.shape == (4, 256) and np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-5)
    assert v[0] @ v[1] > 0.9999
    assert v[0] @ v[2] < 0.9999 and v[0] @ v[3] < 0.9999


def test_song_vector_weights_patterns_by_bars():
    v = np.eye(3, dtype=np.float32)[:2]
    assert np.allclose(song_vector(v, np.array([3, 1])), np.array([3, 1, 0]) / np.sqrt(10))
    assert song_vector(np.zeros((0, 3), np.float32), np.array([])) is None


def test_transpose_song_moves_pitched_notes_only_and_refuses_to_leave_the_range():
    song = _song()
    up = transpose_song(song, 2)
    assert up.channels[0].patterns[0].notes[1].pitches == [30, 33]
    assert up.channels[1].patterns[0].notes[0].pitches == [2]
    assert song.channels[0].patterns[0].notes[1].pitches == [28, 31]  # the original is untouched
    assert transpose_song(song, 60) is None and transpose_song(song, -25) is None


def test_frechet_distance_matches_the_closed_form():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4000, 3))
    b = rng.normal(size=(4000, 3)) * np.array([1.0, 2.0, 1.0]) + np.array([1.0, 0.0, 0.0])
    # Gaussians with diagonal covariances: |mu|^2 + sum (sigma_a - sigma_b)^2 = 1 + 1
    assert frechet_distance(a, b) == pytest.approx(2.0, abs=0.15)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    assert frechet_distance(a, b) == pytest.approx(frechet_distance(b, a), rel=1e-6)
    with pytest.raises(ValueError):
        frechet_distance(a[:1], b)


def test_sets_of_different_sizes_are_compared_like_for_like():
    """The same distribution in a small set and a large one: measured each at its own size the small set
    looks much farther (the c/n bias); matched, they come out alike, and a shifted set stays farther."""
    rng = np.random.default_rng(1)
    dim = 32
    reference = rng.normal(size=(5000, dim))

    def songs(n, shift=0.0):  # songs of 5 patterns each
        return [rng.normal(size=(5, dim)) + shift for _ in range(n)]

    sets = {"small": songs(8), "large": songs(80), "shifted": songs(80, shift=0.3)}
    unmatched = {k: frechet_distance(np.concatenate(v), reference) for k, v in sets.items()}
    assert unmatched["small"] > 2 * unmatched["large"]
    matched, n_songs, n_patterns = frechet_matched(sets, reference, seed=0)
    assert n_songs == 8 and n_patterns == 40
    assert abs(matched["small"][0] - matched["large"][0]) < 0.25 * matched["large"][0]
    assert matched["shifted"][0] > matched["large"][0] + dim * 0.3**2 / 2
    assert matched["large"][1] > 0 and matched["small"][1] == pytest.approx(
        0, abs=1e-9
    )  # drawn whole each time


def test_random_patterns_keep_kind_and_size():
    like = [
        PatternNotes(0, 1, False, np.array([[0, 12, 48], [24, 48, 55]], np.int16)),
        PatternNotes(1, 1, True, np.array([[0, 6, 2]], np.int16)),
    ]
    out = random_patterns(like, seed=3)
    assert [p.is_noise for p in out] == [False, True]
    assert 1 <= len(out[0].notes) <= 16 and (out[1].notes[:, 2] < 12).all()
    many = random_patterns(like * 200, seed=4)
    pitches = np.concatenate([p.notes[:, 2] for p in many if not p.is_noise])
    assert pitches.min() >= 0 and pitches.max() <= 84 and pitches.max() - pitches.min() > 60
    assert all(
        (p.notes[:, 1] > p.notes[:, 0]).all() and (p.notes[:, 1] - p.notes[:, 0] <= 24).all() for p in many
    )


def test_embed_chunk_rows_and_a_cache_that_follows_the_weights(corpus_records):
    from beepbrain.embed.job import embed_chunk

    songs = [(f"s{i}", r["data"]) for i, r in enumerate(corpus_records[:6]) if r["type"] == "beepbox"]
    outs = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        model = PatternEncoder()
        state = {k: v.detach() for k, v in model.state_dict().items()}
        outs.append(embed_chunk(songs, "unregistered", state, model.config.to_dict()))
    first, second = outs
    assert first["songs"].num_rows + first["failed"] == len(songs)
    assert first["patterns"].schema.field("vector").type.list_size == 256
    assert first["patterns"].num_rows == second["patterns"].num_rows > 0
    a = np.array(first["patterns"].column("vector").to_pylist())
    b = np.array(second["patterns"].column("vector").to_pylist())
    assert not np.allclose(a, b)  # the second model was used, not the cached first one
