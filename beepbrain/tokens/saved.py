"""What both tokenizers share: a saved form (format, kind, config, vocabulary) and token names."""

from __future__ import annotations

import json
from pathlib import Path


class SavedTokenizer:
    """Mixin for a tokenizer with ``FORMAT``, ``kind``, ``CONFIG`` (its config class), ``config`` and
    ``vocab``: ``to_dict``/``from_dict``, ``save``/``load`` and ``describe``."""

    FORMAT: str
    CONFIG: type
    kind: str

    def describe(self, tokens) -> list[str]:
        return [self.vocab.name(int(t)) for t in tokens]

    def to_dict(self) -> dict:
        return {
            "format": self.FORMAT,
            "kind": self.kind,
            "version": 1,
            "config": self.config.to_dict(),
            "vocab": self.vocab.names,
        }

    def save(self, path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), indent=1) + "\n")
        return path

    @classmethod
    def from_dict(cls, obj: dict):
        if obj.get("format") != cls.FORMAT:
            raise ValueError(f"not a saved BeepBrain {cls.kind} tokenizer (format={obj.get('format')!r})")
        tokenizer = cls(cls.CONFIG.from_dict(obj.get("config", {})))
        if "vocab" in obj and obj["vocab"] != tokenizer.vocab.names:
            raise ValueError("saved vocabulary differs from the one its config builds")
        return tokenizer

    @classmethod
    def load(cls, path):
        return cls.from_dict(json.loads(Path(path).read_text()))
