"""One way to build or load whichever kind of tokenizer a saved file, a dict or a name stands for."""

from __future__ import annotations

import json
from pathlib import Path

from beepbrain.tokens.protocol import Tokenizer
from beepbrain.tokens.tick_config import TickTokenizerConfig

TOKENIZER_KINDS = ("pattern", "tick")


def new_tokenizer(kind: str = "pattern", **config) -> Tokenizer:
    """A fresh tokenizer of ``kind`` (``pattern`` or ``tick``) with ``config`` settings."""
    if kind == "pattern":
        from beepbrain.tokens.pattern_tokenizer import PatternTokenizer, PatternTokenizerConfig

        return PatternTokenizer(PatternTokenizerConfig(**config))
    if kind == "tick":
        from beepbrain.tokens.tick_tokenizer import TickTokenizer

        return TickTokenizer(TickTokenizerConfig(**config))
    raise ValueError(f"unknown tokenizer kind {kind!r}: choose one of {', '.join(TOKENIZER_KINDS)}")


def as_tokenizer(choice: Tokenizer | TickTokenizerConfig | None = None) -> Tokenizer:
    """The tokenizer ``choice`` stands for: a tokenizer itself, a ``TickTokenizerConfig`` (a tick tokenizer
    of it), or None (the default pattern tokenizer)."""
    if choice is None:
        return new_tokenizer("pattern")
    if isinstance(choice, TickTokenizerConfig):
        from beepbrain.tokens.tick_tokenizer import TickTokenizer

        return TickTokenizer(choice)
    return choice


def tokenizer_from_dict(obj: dict) -> Tokenizer:
    """The tokenizer a ``to_dict()`` (a saved tokenizer.json) describes, of either kind (or a pattern
    tokenizer with BPE merges, ``bpe.MergedTokenizer``)."""
    from beepbrain.tokens.bpe import MERGED_FORMAT, MergedTokenizer
    from beepbrain.tokens.pattern_tokenizer import FORMAT as PATTERN_FORMAT
    from beepbrain.tokens.pattern_tokenizer import PatternTokenizer
    from beepbrain.tokens.tick_tokenizer import FORMAT as TICK_FORMAT
    from beepbrain.tokens.tick_tokenizer import TickTokenizer

    fmt = obj.get("format") if isinstance(obj, dict) else None
    if fmt == MERGED_FORMAT:  # a base tokenizer's streams written with BPE merges
        return MergedTokenizer.from_dict(obj, tokenizer_from_dict(obj.get("base")))
    if fmt == PATTERN_FORMAT:
        return PatternTokenizer.from_dict(obj)
    if fmt == TICK_FORMAT:
        return TickTokenizer.from_dict(obj)
    raise ValueError(f"not a saved BeepBrain tokenizer (format={fmt!r})")


def load_tokenizer(path) -> Tokenizer:
    """The tokenizer saved at ``path`` (a tokenizer.json, or a dataset directory holding one)."""
    path = Path(path)
    if path.is_dir():
        path = path / "tokenizer.json"
    try:
        obj = json.loads(path.read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"no tokenizer at {path}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not a tokenizer file: {exc}") from None
    return tokenizer_from_dict(obj)
