"""The token vocabulary: special tokens, per-channel states, and note starts (root pitch x chord shape).

A chord shape is the tuple of intervals (semitones) of a note's pitches above its lowest pitch: ``()`` is a
single pitch, ``(4, 7)`` a major triad in root position. A start token names the lowest pitch (the root)
and a shape from the configured list; only combinations inside the pitch range get a token.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from beepbrain.tokens.specials import BAR, BOS, EOS, PAD, SHARED_SPECIALS, TokenNames  # noqa: F401 (the tick names)

MAX_PITCH = 84  # pitch channels: 0..84
DRUM_COUNT = 12  # drum channels: 0..11

SPECIAL_NAMES = (*SHARED_SPECIALS, "REST", "HOLD")
REST, HOLD = len(SHARED_SPECIALS), len(SHARED_SPECIALS) + 1

# Kind codes of token_kind
KIND_SPECIAL, KIND_STATE, KIND_PITCH, KIND_DRUM = 0, 1, 2, 3


TRIADS = ((0, 4, 7), (0, 3, 7), (0, 3, 6), (0, 4, 8), (0, 5, 7), (0, 2, 7))  # maj, min, dim, aug, sus4, sus2
SEVENTHS = (
    (0, 4, 7, 10),
    (0, 4, 7, 11),
    (0, 3, 7, 10),
    (0, 3, 6, 10),
    (0, 3, 6, 9),
    (0, 3, 7, 11),
    (0, 4, 8, 11),
    (0, 4, 7, 9),
)  # dom7, maj7, min7, m7b5, dim7, minmaj7, aug maj7, major 6th


def _closed_inversions(chords) -> list[tuple[int, ...]]:
    """Every inversion of each chord in closed voicing, as shapes."""
    shapes: list[tuple[int, ...]] = []
    for pcs in chords:
        for rot in range(len(pcs)):
            voiced = sorted((p - pcs[rot]) % 12 for p in pcs)
            shapes.append(tuple(voiced[1:]))
    return shapes


def default_pitch_shapes() -> list[tuple[int, ...]]:
    """A general chord-shape list: single pitches, every interval up to three octaves, closed triads in
    every inversion, triads and fifths doubled at the octave, the common seventh chords, stacked octaves."""
    shapes: list[tuple[int, ...]] = [()]
    shapes += [(i,) for i in range(1, 37)]
    shapes += _closed_inversions(TRIADS)
    shapes += [(i, 12) for i in range(1, 12)]  # an interval with the root doubled at the octave
    shapes += [tuple(s) + (12,) for s in _closed_inversions(TRIADS[:2])]  # triads with the octave
    shapes += _closed_inversions(SEVENTHS)
    shapes += [
        (12, 24),
        (12, 19),
        (7, 12, 19),
        (7, 12, 24),
        (12, 16),
        (12, 15),
        (7, 14),
        (7, 16),
        (7, 15),
        (5, 7, 12),
        (2, 4, 7),
    ]
    return unique_shapes(shapes)


def default_drum_shapes() -> list[tuple[int, ...]]:
    """Drums: any one, two or three of the 12 drums at once."""
    pairs = [(i,) for i in range(1, DRUM_COUNT)]
    triples = [(i, j) for i in range(1, DRUM_COUNT) for j in range(i + 1, DRUM_COUNT)]
    return [()] + pairs + triples


def unique_shapes(shapes: Sequence[Sequence[int]]) -> list[tuple[int, ...]]:
    out: list[tuple[int, ...]] = []
    seen: set[tuple[int, ...]] = set()
    for shape in shapes:
        s = tuple(int(i) for i in shape)
        if any(i <= 0 for i in s) or list(s) != sorted(set(s)) or len(s) > 3:
            raise ValueError(f"bad chord shape {shape!r}: intervals must be rising, positive, at most 3")
        if s not in seen:
            seen.add(s)
            out.append(s)
    if () not in seen:
        raise ValueError("the shape list must hold () (a single pitch)")
    return out


def shape_name(prefix: str, root: int, shape: tuple[int, ...]) -> str:
    return f"{prefix}{root}" + "".join(f"+{i}" for i in shape)


class TickVocabulary(TokenNames):
    """Token ids <-> names, and lookup arrays over ids (kind, root, top pitch, shape)."""

    def __init__(self, pitch_shapes: Sequence[Sequence[int]], drum_shapes: Sequence[Sequence[int]]):
        self.pitch_shapes = unique_shapes(pitch_shapes)
        self.drum_shapes = unique_shapes(drum_shapes)
        names = list(SPECIAL_NAMES)
        kind = [KIND_SPECIAL] * 4 + [KIND_STATE] * 2
        root = [-1] * 6
        shape = [-1] * 6
        self.pitch_id = np.full((MAX_PITCH + 1, len(self.pitch_shapes)), -1, dtype=np.int64)
        self.drum_id = np.full((DRUM_COUNT, len(self.drum_shapes)), -1, dtype=np.int64)
        for table, shapes, top, prefix, k in (
            (self.pitch_id, self.pitch_shapes, MAX_PITCH, "P", KIND_PITCH),
            (self.drum_id, self.drum_shapes, DRUM_COUNT - 1, "D", KIND_DRUM),
        ):
            for r in range(top + 1):
                for si, s in enumerate(shapes):
                    if r + (s[-1] if s else 0) <= top:
                        table[r, si] = len(names)
                        names.append(shape_name(prefix, r, s))
                        kind.append(k)
                        root.append(r)
                        shape.append(si)
        if len(names) > 65535:
            raise ValueError(f"vocabulary of {len(names)} tokens does not fit uint16")
        self.names = names
        self.ids = {n: i for i, n in enumerate(names)}
        self.kind = np.array(kind, dtype=np.int8)
        self.root = np.array(root, dtype=np.int64)
        self.shape = np.array(shape, dtype=np.int64)
        self.pitch_shape_index = {s: i for i, s in enumerate(self.pitch_shapes)}
        self.drum_shape_index = {s: i for i, s in enumerate(self.drum_shapes)}

    def pitches(self, token: int) -> list[int]:
        """The pitches a start token plays (empty for other tokens)."""
        k = self.kind[token]
        if k == KIND_PITCH:
            return [int(self.root[token])] + [
                int(self.root[token]) + i for i in self.pitch_shapes[self.shape[token]]
            ]
        if k == KIND_DRUM:
            return [int(self.root[token])] + [
                int(self.root[token]) + i for i in self.drum_shapes[self.shape[token]]
            ]
        return []

    def start_token(self, pitches: Sequence[int], drum: bool) -> tuple[int, int]:
        """The start token for a chord (sorted, unique, in range), and how many of its pitches it drops.

        A shape outside the vocabulary is reduced to the largest listed shape made of its own intervals
        (the root always survives)."""
        table, index = (
            (self.drum_id, self.drum_shape_index) if drum else (self.pitch_id, self.pitch_shape_index)
        )
        shapes = self.drum_shapes if drum else self.pitch_shapes
        r = pitches[0]
        intervals = tuple(p - r for p in pitches[1:])
        si = index.get(intervals)
        if si is not None:
            return int(table[r, si]), 0
        have = set(intervals)
        best, best_len = 0, 0
        for i, s in enumerate(shapes):
            if len(s) > best_len and have.issuperset(s):
                best, best_len = i, len(s)
        return int(table[r, best]), len(intervals) - best_len

    def transpose_table(self, semitones: int) -> np.ndarray:
        """int64[V]: each pitch-start token moved by ``semitones`` (-1 where it leaves the range); other
        tokens map to themselves."""
        table = np.arange(len(self.names), dtype=np.int64)
        is_pitch = self.kind == KIND_PITCH
        roots = self.root[is_pitch] + semitones
        shapes = self.shape[is_pitch]
        ok = (roots >= 0) & (roots <= MAX_PITCH)
        moved = np.full(len(roots), -1, dtype=np.int64)
        moved[ok] = self.pitch_id[roots[ok], shapes[ok]]
        table[is_pitch] = moved
        return table
