"""Byte-pair merges over pattern-tokenizer streams, trained with Hugging Face ``tokenizers``.

Each base token is one character (``BASE_CHAR + id``); a stream is cut into words that merges never cross:
the header values, each instrument, and each channel's bar item (``EMPTY``, ``REF_k``, or a whole
``NEW ... END`` pattern), with BOS, BAR and EOS always single tokens so windows still start on bar lines.
A merged token's id is ``base vocabulary size + its index`` among the learned merges; ``expand`` turns
any merged stream back into base tokens, which the pattern tokenizer decodes as usual.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from beepbrain.tokens.pattern_stream import defined_part
from beepbrain.tokens.pattern_vocab import BAR, BOS, END, EOS, IEND, NEW
from beepbrain.tokens.saved import SavedTokenizer

BASE_CHAR = 0x4E00  # CJK block: a character for every base id, none of them whitespace
FORMAT = "beepbrain-bpe"


def words(tokens: Iterable[int]) -> list[list[int]]:
    """A stream cut into the words merges stay inside."""
    out: list[list[int]] = []
    current: list[int] = []
    in_pattern = False
    in_instrument = False
    for t in (int(x) for x in tokens):
        if t in (BOS, BAR, EOS):
            if current:
                out.append(current)
            out.append([t])
            current, in_pattern, in_instrument = [], False, False
            continue
        current.append(t)
        if in_pattern:
            if t == END:
                out.append(current)
                current, in_pattern = [], False
        elif in_instrument:
            if t == IEND:
                out.append(current)
                current, in_instrument = [], False
        elif t == NEW:
            in_pattern = True
        elif current[0] != NEW and len(current) == 1 and _is_itype(t):
            in_instrument = True
        else:  # a header value, EMPTY or REF: a word of its own
            out.append(current)
            current = []
    if current:
        out.append(current)
    return out


_ITYPE: tuple[int, int] | None = None


def _is_itype(token: int) -> bool:
    global _ITYPE
    if _ITYPE is None:
        from beepbrain.tokens.pattern_vocab import PatternVocabulary

        _ITYPE = PatternVocabulary().span("ITYPE")
    return _ITYPE[0] <= token < _ITYPE[1]


def _text(word: list[int]) -> str:
    return "".join(chr(BASE_CHAR + t) for t in word)


class BPE:
    """Learned merges over a base vocabulary of ``base_size`` ids."""

    def __init__(self, base_size: int, model_json: str):
        from tokenizers import Tokenizer as HFTokenizer

        self.base_size = int(base_size)
        self.model_json = model_json
        self.hf = HFTokenizer.from_str(model_json)
        vocab = self.hf.get_vocab()
        # HF ids -> ours: base characters keep their base id, merged strings follow in HF id order
        self.to_ours = np.full(len(vocab), -1, dtype=np.int64)
        self.expansion: list[list[int]] = [[i] for i in range(self.base_size)]
        merged = sorted((hf_id, s) for s, hf_id in vocab.items() if len(s) > 1)
        for s, hf_id in vocab.items():
            if len(s) == 1:
                self.to_ours[hf_id] = ord(s) - BASE_CHAR
        for k, (hf_id, s) in enumerate(merged):
            self.to_ours[hf_id] = self.base_size + k
            self.expansion.append([ord(ch) - BASE_CHAR for ch in s])

    @property
    def vocab_size(self) -> int:
        return len(self.expansion)

    @classmethod
    def train(cls, streams: Iterable[np.ndarray], base_size: int, merges: int) -> BPE:
        """Learn up to ``merges`` merges from base-token streams (a training split)."""
        from tokenizers import Tokenizer as HFTokenizer
        from tokenizers import models, pre_tokenizers, trainers

        hf = HFTokenizer(models.BPE())
        hf.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
        alphabet = [chr(BASE_CHAR + i) for i in range(base_size)]
        trainer = trainers.BpeTrainer(
            vocab_size=base_size + merges,
            initial_alphabet=alphabet,
            limit_alphabet=base_size,
            min_frequency=2,
            show_progress=False,
            special_tokens=[],
        )
        texts = (" ".join(_text(w) for w in words(s)) for s in streams)
        hf.train_from_iterator(texts, trainer)
        return cls(base_size, hf.to_str())

    def encode(self, tokens: np.ndarray) -> np.ndarray:
        """A base stream as merged ids (uint16)."""
        ws = words(tokens)
        encs = self.hf.encode_batch([_text(w) for w in ws], add_special_tokens=False)
        ids = [self.to_ours[i] for e in encs for i in e.ids]
        return np.asarray(ids, dtype=np.uint16)

    def expand(self, ids) -> np.ndarray:
        """Merged ids back to the base stream."""
        out: list[int] = []
        for i in np.asarray(ids, dtype=np.int64).ravel():
            out.extend(self.expansion[int(i)])
        return np.asarray(out, dtype=np.uint16)

    def to_dict(self) -> dict:
        return {"format": FORMAT, "base_size": self.base_size, "model": json.loads(self.model_json)}

    def save(self, path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.to_dict()) + "\n")
        return path

    @classmethod
    def from_dict(cls, obj: dict) -> BPE:
        if obj.get("format") != FORMAT:
            raise ValueError(f"not saved BPE merges (format={obj.get('format')!r})")
        return cls(int(obj["base_size"]), json.dumps(obj["model"]))


MERGED_FORMAT = "beepbrain-merged-tokenizer"


class MergedVocabulary:
    """A base vocabulary and the merged tokens after it: names for every id, and the base's marker tokens
    (``pin``; no ``fill``: the fill layout is not merged) that loaders and masks look up."""

    def __init__(self, base, bpe: BPE):
        self.base = base
        self.names = list(base.names) + [
            "+".join(base.name(t) for t in bpe.expansion[i]) for i in range(bpe.base_size, bpe.vocab_size)
        ]
        self.pin = getattr(base, "pin", None)
        self.fill = None

    def __len__(self) -> int:
        return len(self.names)

    def name(self, token: int) -> str:
        return self.names[int(token)]


class MergedTokenizer(SavedTokenizer):
    """A pattern tokenizer whose streams are written with BPE merges: everything a stream is asked (a
    view, a decoded song, a transposition) is the base tokenizer's answer on the expanded stream, merged
    again. There is no grammar over merged tokens, so it scores and trains but does not sample."""

    FORMAT = MERGED_FORMAT
    kind = "pattern+bpe"
    GRAMMAR_CONSTRAINTS: tuple[str, ...] = ()
    listed_shapes = None

    def __init__(self, base, bpe: BPE):
        if bpe.base_size != base.vocab_size:
            raise ValueError(f"BPE merges over {bpe.base_size} ids, the tokenizer has {base.vocab_size}")
        self.base, self.bpe = base, bpe
        self.config = base.config
        self.HAS_HEADER = base.HAS_HEADER
        self.vocab = MergedVocabulary(base.vocab, bpe)
        self.pad_id, self.bos_id, self.eos_id, self.bar_id = (
            base.pad_id,
            base.bos_id,
            base.eos_id,
            base.bar_id,
        )

    @property
    def vocab_size(self) -> int:
        return self.bpe.vocab_size

    def _merged(self, tokens) -> np.ndarray:
        return self.bpe.encode(np.asarray(tokens))

    def encode(self, song):
        encoded = self.base.encode(song)
        encoded.tokens = self._merged(encoded.tokens)
        return encoded

    def decode(self, tokens, conditioning, beats_per_bar: int | None = None):
        return self.base.decode(self.bpe.expand(tokens), conditioning, beats_per_bar)

    def prompt_tokens(self, song, extra_bars: int) -> tuple[list[int], int]:
        tokens, total = self.base.prompt_tokens(song, extra_bars)
        return [int(t) for t in self._merged(tokens)], total

    def grammar(self, conditioning, beats_per_bar: int | None = 8, bars: int | None = None, **fixed):
        raise NotImplementedError("no grammar walks merged (BPE) tokens: sample with the base tokenizer")

    def bar_lines(self, tokens) -> np.ndarray:
        return np.flatnonzero(np.asarray(tokens) == BAR)  # BAR is a word of its own: never merged

    def channel_marks(self) -> None:
        """None: a merged token may hold a marker and an item, so channels are not read from merged
        streams."""
        return None

    def decision_ids(self) -> np.ndarray:
        return self.base.decision_ids()  # single tokens: EMPTY and REF are words of their own

    def view(self, tokens, conditioning, start_bar: int, block_size: int | None = None) -> list[int]:
        window = self.base.view(self.bpe.expand(tokens), conditioning, start_bar, block_size)
        return [int(t) for t in self._merged(window)]

    def window(self, view, conditioning, block_size: int, shown_only: bool = False) -> list[int]:
        """The base tokenizer's window rule on a merged ``view``: at most ``block_size + 1`` merged tokens,
        ending before a bar (``shown_only``: an item) that plays a pattern out of view; a merged token
        that crosses the cut is left out."""
        merged = [int(t) for t in view][: int(block_size) + 1]
        expanded = self.bpe.expand(merged)
        kept = defined_part(expanded, self.base.vocab, conditioning.channels, shown_only=shown_only)
        if len(kept) == len(expanded):
            return merged
        ends = np.cumsum([len(self.bpe.expand([t])) for t in merged])  # where each merged token ends
        return merged[: int(np.searchsorted(ends, len(kept), side="right"))]

    def rejoin(self, tokens, window, conditioning, start_bar: int) -> list[int]:
        whole = self.base.rejoin(self.bpe.expand(tokens), self.bpe.expand(window), conditioning, start_bar)
        return [int(t) for t in self._merged(whole)]

    def transpose(self, tokens, semitones: int, bends: bool = True) -> np.ndarray | None:
        moved = self.base.transpose(self.bpe.expand(tokens), semitones, bends)
        return None if moved is None else self._merged(moved)

    def change_key(self, tokens, semitones: int) -> np.ndarray | None:
        moved = self.base.change_key(self.bpe.expand(tokens), semitones)
        return None if moved is None else self._merged(moved)

    def key_of(self, tokens) -> int:
        return self.base.key_of(self.bpe.expand(tokens))

    def lowest_pitch(self, tokens) -> int | None:
        return self.base.lowest_pitch(self.bpe.expand(tokens))

    def to_dict(self) -> dict:
        return {
            "format": MERGED_FORMAT,
            "kind": self.kind,
            "base": self.base.to_dict(),
            "bpe": self.bpe.to_dict(),
        }

    @classmethod
    def from_dict(cls, obj: dict, base=None) -> MergedTokenizer:
        """``obj`` (a ``to_dict``); ``base``: its base tokenizer, if already read from ``obj["base"]``."""
        if obj.get("format") != MERGED_FORMAT:
            raise ValueError(f"not a saved merged tokenizer (format={obj.get('format')!r})")
        if base is None:
            from beepbrain.tokens.load import tokenizer_from_dict

            base = tokenizer_from_dict(obj.get("base"))
        return cls(base, BPE.from_dict(obj["bpe"]))
