"""How typical a song is under a model: the bits of its token stream, and bits per note.

Bits per note (total bits of the song's tokens ÷ the notes it plays through its bar sequence) compares
models whatever their tokenizer: bits per token does not, since tokenizers spend different numbers of
tokens on the same music.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from beepbrain.generate.evaluate import song_bits
from beepbrain.generate.stats import played_notes


@dataclass
class SongScore:
    name: str  # where the song came from (argument, or "stdin:LINE")
    bits: float
    tokens: int
    notes: int
    bits_per_token: float
    bits_per_note: float | None  # None: the song plays no notes

    def to_dict(self) -> dict:
        return asdict(self)


def score_songs(model, tokenizer, songs: list, names: list[str] | None = None, batch_size: int = 16
                ) -> list[SongScore]:
    """Score each ``Song``: its token stream's bits under ``model`` (every token but BOS), tokens, notes."""
    names = names or [f"song {i + 1}" for i in range(len(songs))]
    encoded = [tokenizer.encode(song) for song in songs]
    bits = song_bits(model, tokenizer, [e.tokens for e in encoded], [e.conditioning for e in encoded],
                     batch_size)
    out = []
    for name, song, enc, b in zip(names, songs, encoded, bits, strict=True):
        tokens = int(len(enc.tokens))
        notes = played_notes(song)
        out.append(SongScore(name, float(b), tokens, notes, float(b) / max(tokens - 1, 1),
                             float(b) / notes if notes else None))
    return out


def format_scores(scores: list[SongScore]) -> str:
    lines = [f"{'song':<28}{'bits':>12}{'tokens':>9}{'notes':>8}{'bits/token':>12}{'bits/note':>11}"]
    for s in scores:
        name = s.name if len(s.name) <= 27 else s.name[:24] + "..."
        bpn = f"{s.bits_per_note:>11.3f}" if s.bits_per_note is not None else f"{'-':>11}"
        lines.append(f"{name:<28}{s.bits:>12.1f}{s.tokens:>9}{s.notes:>8}{s.bits_per_token:>12.3f}{bpn}")
    if len(scores) > 1:
        bits = sum(s.bits for s in scores)
        notes = sum(s.notes for s in scores)
        tokens = sum(s.tokens for s in scores)
        mean = f"{bits / notes:>11.3f}" if notes else f"{'-':>11}"
        lines.append(f"{'all':<28}{bits:>12.1f}{tokens:>9}{notes:>8}{bits / max(tokens - len(scores), 1):>12.3f}"
                     f"{mean}")
    return "\n".join(lines)


def total_bits_per_note(scores: list[SongScore]) -> float:
    notes = sum(s.notes for s in scores)
    return float(np.sum([s.bits for s in scores]) / notes) if notes else float("nan")
