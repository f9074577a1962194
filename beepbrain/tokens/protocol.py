"""What every tokenizer offers, whichever kind it is: the ``Tokenizer`` protocol, with the ``Grammar`` and
the ``TokenVocabulary`` it hands out, and ``TokenizedSong``, what ``encode`` gives back.

Two classes fill it: ``PatternTokenizer`` (``pattern_tokenizer.py``, the default: header, then bars of
per-channel pattern references) and ``TickTokenizer`` (``tick_tokenizer.py``: channels interleaved tick by
tick). Code that takes either kind types it ``Tokenizer`` and asks the tokenizer, never its ``kind``: where
the kinds differ, each class says how (``HAS_HEADER``, ``GRAMMAR_CONSTRAINTS``, ``listed_shapes``). Only
``load.py`` turns a kind (a saved file's, or a name) into a class.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

import numpy as np

from beepbrain.tokens.conditioning import Conditioning
from beepbrain.tokens.losses import new_losses
from beepbrain.tokens.specials import BAR, BOS

Shape = tuple[int, ...]  # a chord's intervals above its lowest pitch


@dataclass
class TokenizedSong:
    tokens: np.ndarray  # uint16[N]
    conditioning: Conditioning
    beats_per_bar: int
    bars: int
    losses: dict[str, int] = field(default_factory=new_losses)

    @property
    def bar_offsets(self) -> np.ndarray:
        """int64 offsets of the bar lines (BOS for the first bar, then each BAR): where windows start."""
        return np.flatnonzero((self.tokens == BOS) | (self.tokens == BAR)).astype(np.int64)


class TokenVocabulary(Protocol):
    """Token ids <-> names."""

    names: list[str]

    def __len__(self) -> int: ...

    def name(self, token: int) -> str: ...


class Grammar(Protocol):
    """Constrained decoding over one song's stream: which tokens may come next."""

    done: bool  # the stream has ended (only PAD may follow)

    def mask(self) -> np.ndarray:
        """bool[vocab_size]: the tokens allowed next."""
        ...

    def allows(self, token: int) -> bool: ...

    def advance(self, token: int) -> None:
        """Take ``token`` (ValueError if it is not allowed)."""
        ...


@dataclass(frozen=True)
class ChannelMarks:
    """How a model reads each token's channel from the tokens alone (``GPT.channel_ids``): the channel
    count starts again after a ``resets`` token and goes up by one at each ``starts`` token (an
    instrument's or a bar item's first token); in the fill layout, the content after ``sep`` is the
    channel of its hole (``HOLE_k``: ids ``hole_first`` .. ``hole_first + holes - 1``).

    What a bar item says of its channel (``GPT.recall_ids``): ``silent`` (EMPTY), ``sounding`` (a pattern
    written or named) or ``unseen`` (a hole, or patterns out of view); ``ends`` end a bar item; bar items are those after a
    ``bar_rows`` reset (a bar line, or SEP where a hole's content is written), not a window's pinned rows.

    Where a note ends (``GPT.note_ends``): a note starts at a position token (``onsets`` ids from
    ``onset_first``: the position 0, 1, ...) and each of its pins is a length token (``lengths`` ids from
    ``length_first``: 1, 2, ... parts after its start), perhaps followed by ``pin_marks`` (a pin's volume or
    bend); after the last, a next note or ``body_end``. A bar is ``parts_per_beat`` times the beats per bar
    the header's beats token says (``beats`` ids from ``beats_first``: 1, 2, ... beats). Empty where the
    stream has no such notes.

    Which pattern a bar item played (``GPT.recall_tokens``): ``REF_k`` (``refs`` ids from ``ref_first``)
    names the channel's k-th pattern, ``new`` writes its next one, a pinned ``HIDE_n`` (``hides`` ids from
    ``hide_first``) names the next n."""

    resets: tuple[int, ...]
    starts: tuple[int, ...]
    hole_first: int = -1
    holes: int = 0
    sep: int = -1
    silent: tuple[int, ...] = ()
    sounding: tuple[int, ...] = ()
    unseen: tuple[int, ...] = ()
    ends: tuple[int, ...] = ()  # the tokens that end a bar item
    bar_rows: tuple[int, ...] = ()
    onset_first: int = -1
    onsets: int = 0
    length_first: int = -1
    lengths: int = 0
    pin_marks: tuple[int, ...] = ()
    body_end: int = -1
    beats_first: int = -1
    beats: int = 0
    parts_per_beat: int = 0
    new: int = -1  # which pattern an item played (``GPT.recall_tokens``): NEW's id,
    ref_first: int = -1  # REF_1's id and how many REF tokens there are,
    refs: int = 0
    hide_first: int = -1  # HIDE_1's id and how many HIDE tokens there are (0: none)
    hides: int = 0


class Tokenizer(Protocol):
    """Song <-> token stream, and what the loader, the sampler, scoring and augmentation ask of a stream."""

    kind: ClassVar[str]  # the name saved files and manifests give it (read back only by ``load.py``)
    HAS_HEADER: ClassVar[bool]  # the stream holds tempo, key, scale and instruments
    GRAMMAR_CONSTRAINTS: ClassVar[tuple[str, ...]]  # the musical constraints its grammar can switch on
    config: Any  # its settings: a dataclass with ``to_dict``/``from_dict``
    vocab: TokenVocabulary
    pad_id: int
    bos_id: int
    eos_id: int
    bar_id: int

    @property
    def vocab_size(self) -> int: ...

    @property
    def listed_shapes(self) -> tuple[set[Shape], set[Shape]] | None:
        """The chord shapes (pitch, drum) that have tokens, a chord of another shape being reduced; None
        where any chord the format holds has its tokens."""
        ...

    # ---- songs ---------------------------------------------------------------------------------------

    def encode(self, song) -> TokenizedSong: ...

    def decode(self, tokens, conditioning: Conditioning, beats_per_bar: int | None = None):
        """A valid song from any token stream."""
        ...

    def prompt_tokens(self, song, extra_bars: int) -> tuple[list[int], int]:
        """A song's tokens for the model to continue by ``extra_bars`` bars, and the whole result's bars."""
        ...

    def grammar(
        self, conditioning: Conditioning, beats_per_bar: int | None = 8, bars: int | None = None, **fixed
    ) -> Grammar: ...

    # ---- streams -------------------------------------------------------------------------------------

    def bar_lines(self, tokens) -> np.ndarray:
        """Offsets of the stream's bar lines, bar 0 first."""
        ...

    def channel_marks(self) -> ChannelMarks | None:
        """How a model reads each token's channel (None: the stream does not tell it)."""
        ...

    def decision_ids(self) -> np.ndarray:
        """The ids of the tokens that decide what a channel plays in a bar (the pattern tokenizer's
        ``EMPTY``, ``REF_k``, ``NEW``; none for a stream without such items)."""
        ...

    def view(
        self, tokens, conditioning: Conditioning, start_bar: int, block_size: int | None = None
    ) -> list[int]:
        """The stream from bar ``start_bar`` on as a song of its own."""
        ...

    def window(
        self, view, conditioning: Conditioning, block_size: int, shown_only: bool = False
    ) -> list[int]:
        """A training or scoring window cut from a ``view``: at most ``block_size + 1`` tokens, ending
        before a bar that plays a pattern whose notes are out of view (``shown_only``, training: before
        any item that plays one, inside the first bar too)."""
        ...

    def rejoin(self, tokens, window, conditioning: Conditioning, start_bar: int) -> list[int]:
        """The whole stream from the song before ``start_bar`` and its ``view`` from there."""
        ...

    def transpose(self, tokens: np.ndarray, semitones: int, bends: bool = True) -> np.ndarray | None:
        """Every pitch-channel note moved by ``semitones``, or None if one (or, ``bends``, a note's bend)
        would leave the range."""
        ...

    def change_key(self, tokens: np.ndarray, semitones: int) -> np.ndarray | None:
        """The song in a key ``semitones`` away, or None if a note would leave the range."""
        ...

    def key_of(self, tokens: np.ndarray) -> int: ...

    def lowest_pitch(self, tokens: np.ndarray) -> int | None: ...

    def describe(self, tokens) -> list[str]:
        """The tokens' names."""
        ...

    # ---- saved form ----------------------------------------------------------------------------------

    def to_dict(self) -> dict: ...

    def save(self, path) -> Path: ...
