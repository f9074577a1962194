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
from beepbrain.tokens.protocol import Tokenizer


@dataclass
class SongScore:
    name: str  # where the song came from (argument, or "stdin:LINE")
    bits: float
    tokens: int
    notes: int
    bits_per_token: float
    bits_per_note: float | None  # None: the song plays no notes
    ngram_bits: float | None = None  # the same song's stream under the n-gram baseline (``--baseline ngram``)
    ngram_bits_per_note: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def score_songs(
    model, tokenizer: Tokenizer, songs: list, names: list[str] | None = None, batch_size: int = 16, ngram=None
) -> list[SongScore]:
    """Score each ``Song``: its token stream's bits under ``model`` (every token but BOS, each in view of
    its song's header and patterns), tokens, notes; with ``ngram`` (an ``NGramModel`` on the same tokens)
    the baseline's bits of the same stream too."""
    names = names or [f"song {i + 1}" for i in range(len(songs))]
    encoded = [tokenizer.encode(song) for song in songs]
    bits = song_bits(
        model, tokenizer, [e.tokens for e in encoded], [e.conditioning for e in encoded], batch_size
    )
    out = []
    for name, song, enc, b in zip(names, songs, encoded, bits, strict=True):
        tokens = int(len(enc.tokens))
        notes = played_notes(song)
        score = SongScore(
            name, float(b), tokens, notes, float(b) / max(tokens - 1, 1), float(b) / notes if notes else None
        )
        if ngram is not None:
            probs = ngram.token_probs([enc.tokens])
            score.ngram_bits = float(-np.log2(probs[1:]).sum())
            score.ngram_bits_per_note = score.ngram_bits / notes if notes else None
        out.append(score)
    return out


def format_scores(scores: list[SongScore]) -> str:
    ngram = any(s.ngram_bits is not None for s in scores)
    lines = [
        f"{'song':<28}{'bits':>12}{'tokens':>9}{'notes':>8}{'bits/token':>12}{'bits/note':>11}"
        + (f"{'n-gram bits/note':>18}" if ngram else "")
    ]
    for s in scores:
        name = s.name if len(s.name) <= 27 else s.name[:24] + "..."
        bpn = f"{s.bits_per_note:>11.3f}" if s.bits_per_note is not None else f"{'-':>11}"
        nbpn = ""
        if ngram:
            nbpn = f"{s.ngram_bits_per_note:>18.3f}" if s.ngram_bits_per_note is not None else f"{'-':>18}"
        lines.append(
            f"{name:<28}{s.bits:>12.1f}{s.tokens:>9}{s.notes:>8}{s.bits_per_token:>12.3f}{bpn}{nbpn}"
        )
    if len(scores) > 1:
        bits = sum(s.bits for s in scores)
        notes = sum(s.notes for s in scores)
        tokens = sum(s.tokens for s in scores)
        mean = f"{bits / notes:>11.3f}" if notes else f"{'-':>11}"
        nmean = ""
        if ngram:
            nbits = sum(s.ngram_bits or 0.0 for s in scores)
            nmean = f"{nbits / notes:>18.3f}" if notes else f"{'-':>18}"
        lines.append(
            f"{'all':<28}{bits:>12.1f}{tokens:>9}{notes:>8}{bits / max(tokens - len(scores), 1):>12.3f}"
            f"{mean}{nmean}"
        )
    return "\n".join(lines)


def total_bits_per_note(scores: list[SongScore]) -> float:
    notes = sum(s.notes for s in scores)
    return float(np.sum([s.bits for s in scores]) / notes) if notes else float("nan")
