"""Song <-> tokens. Channels interleave tick by tick; one token per channel per model tick.

Stream of a song: ``BOS bar_0 BAR bar_1 BAR ... bar_n EOS`` where each bar is ``ticks x channels`` tokens
(tick-major: ``a b c a b c ...``), so a token's position inside its bar tells its channel. A token is the
channel's state at that tick: ``REST``, ``HOLD`` (the current note goes on) or a start token (a note or
chord begins: root pitch x chord shape on pitch channels, drum x shape on drum channels).
"""

from __future__ import annotations

import math

import numpy as np

from beepbrain.format.config import BAR_COUNT_MAX
from beepbrain.tokens.conditioning import Conditioning
from beepbrain.tokens.losses import add_losses, new_losses
from beepbrain.tokens.protocol import Shape, TokenizedSong
from beepbrain.tokens.saved import SavedTokenizer
from beepbrain.tokens.tick_config import PARTS_PER_BEAT, TickTokenizerConfig
from beepbrain.tokens.tick_vocab import (
    BAR,
    BOS,
    DRUM_COUNT,
    EOS,
    HOLD,
    KIND_DRUM,
    KIND_PITCH,
    MAX_PITCH,
    PAD,
    REST,
    TickVocabulary,
)

BEATS_PER_BAR_MIN, BEATS_PER_BAR_MAX = 3, 16
NOTE_SIZE_MAX = 3
FORMAT = "beepbrain-tokenizer"


class TickTokenizer(SavedTokenizer):
    """Encode songs to token streams and decode streams back to valid songs."""

    kind = "tick"
    FORMAT = FORMAT
    HAS_HEADER = False  # notes only: tempo, key, scale and instruments come from outside the stream
    GRAMMAR_CONSTRAINTS = ()  # its grammar has no musical constraints to switch on
    CONFIG = TickTokenizerConfig

    def __init__(self, config: TickTokenizerConfig | None = None):
        self.config = config or TickTokenizerConfig()
        self.vocab = TickVocabulary(self.config.pitch_shapes, self.config.drum_shapes)
        self.pad_id, self.bos_id, self.eos_id, self.bar_id = PAD, BOS, EOS, BAR
        self.rest_id, self.hold_id = REST, HOLD
        self._pitch_start = self.vocab.kind == KIND_PITCH
        self._drum_start = self.vocab.kind == KIND_DRUM
        self._pitches_of = [tuple(self.vocab.pitches(t)) for t in range(len(self.vocab))]

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    @property
    def listed_shapes(self) -> tuple[set[Shape], set[Shape]]:
        """The chord shapes (pitch, drum) that have tokens: a chord of another shape is reduced."""
        return set(self.config.pitch_shapes), set(self.config.drum_shapes)

    # ---- encode -------------------------------------------------------------------------------------

    def encode(self, song) -> TokenizedSong:
        """Tokenize a song, walking its bar sequence once (bar 0 to the last bar; loops are not unrolled)."""
        cond = Conditioning.of_song(song)
        tpb = self.config.ticks_per_beat
        channels = song.channel_count
        bpb = min(max(int(song.beats_per_bar), 1), BEATS_PER_BAR_MAX)
        ticks_bar = bpb * tpb
        n_bars = max(1, min(int(song.bar_count), BAR_COUNT_MAX))
        grid = np.full((n_bars, ticks_bar, channels), REST, dtype=np.uint16)
        losses = new_losses()
        for c in range(channels):
            channel = song.channels[c]
            drum = song.is_noise_channel(c)
            cache: dict[int, tuple[np.ndarray, dict[str, int]]] = {}
            for b in range(n_bars):
                index = channel.bars[b] if b < len(channel.bars) else 0
                if index <= 0 or index > len(channel.patterns):
                    continue
                if index not in cache:
                    cache[index] = self._pattern_column(channel.patterns[index - 1], bpb, drum)
                column, pattern_losses = cache[index]
                grid[b, :, c] = column
                add_losses(losses, pattern_losses)
        for b in range(n_bars, int(song.bar_count)):  # past BeepBox's 128 bars (JummBox allows 256): cut
            losses["bars_cut"] += 1
            for c in range(channels):
                pattern = song.pattern_at(c, b)
                if pattern is not None:
                    losses["notes"] += len(pattern.notes)
                    losses["notes_dropped"] += len(pattern.notes)
        if self.config.trim_trailing_silence:
            sounding = np.flatnonzero((grid != REST).any(axis=(1, 2)))
            keep = int(sounding[-1]) + 1 if len(sounding) else 1
            losses["bars_trimmed"] = n_bars - keep
            grid = grid[:keep]
            n_bars = keep
        losses["notes_kept"] = losses["notes"] - losses["notes_dropped"]
        losses["notes_exact"] = losses["notes_kept"] - losses["notes_altered"]
        body = np.empty((n_bars, ticks_bar * channels + 1), dtype=np.uint16)
        body[:, :-1] = grid.reshape(n_bars, -1)
        body[:, -1] = BAR
        body[-1, -1] = EOS
        tokens = np.concatenate([np.array([BOS], dtype=np.uint16), body.ravel()])
        return TokenizedSong(tokens, cond, bpb, n_bars, losses)

    def _pattern_column(self, pattern, beats_per_bar: int, drum: bool) -> tuple[np.ndarray, dict[str, int]]:
        """One channel's tokens over one bar of ``pattern``, and what the grid and vocabulary lost."""
        ppt = self.config.parts_per_tick
        ticks_bar = beats_per_bar * self.config.ticks_per_beat
        parts_bar = beats_per_bar * PARTS_PER_BEAT
        top = DRUM_COUNT - 1 if drum else MAX_PITCH
        losses = new_losses()
        placed: list[tuple[int, int, int, bool]] = []
        for note in pattern.notes:
            losses["notes"] += 1
            altered = False
            if note.continues_last_pattern:
                losses["ties"] += 1
            if any(pin.interval != 0 for pin in note.pins):
                losses["bends"] += 1
            if any(pin.size != NOTE_SIZE_MAX for pin in note.pins):
                losses["volume"] += 1
            pitches = sorted(set(note.pitches))
            in_range = [p for p in pitches if 0 <= p <= top]
            if len(in_range) < len(pitches):
                losses["out_of_range"] += 1
                losses["pitches_dropped"] += len(pitches) - len(in_range)
                altered = True
            start, end = note.start, note.end
            if start < 0 or end > parts_bar:
                losses["clipped"] += 1
                start, end = max(start, 0), min(end, parts_bar)
                altered = True
            if not in_range or end <= start:
                losses["notes_dropped"] += 1
                continue
            if start % ppt or end % ppt:
                losses["off_grid"] += 1
                altered = True
            q_start = (start + ppt // 2) // ppt
            q_end = min(max((end + ppt // 2) // ppt, q_start + 1), ticks_bar)
            if q_start >= ticks_bar:
                losses["notes_dropped"] += 1
                continue
            token, lost = self.vocab.start_token(in_range, drum)
            if lost:
                losses["chords_reduced"] += 1
                losses["pitches_dropped"] += lost
                altered = True
            placed.append((q_start, q_end, token, altered))
        # by start tick; on a shared tick the note the grid keeps exactly goes first (the other collides)
        placed.sort(key=lambda n: (n[0], n[3]))
        column = np.full(ticks_bar, REST, dtype=np.uint16)
        altered_flags: list[bool] = []
        prev_end = 0
        for q_start, q_end, token, altered in placed:
            if column[q_start] not in (REST, HOLD):
                losses["collided"] += 1
                losses["notes_dropped"] += 1
                continue
            if q_start < prev_end:
                column[q_start:prev_end] = REST
                losses["truncated"] += 1
                altered_flags[-1] = True
            column[q_start] = token
            column[q_start + 1 : q_end] = HOLD
            prev_end = q_end
            altered_flags.append(altered)
        losses["notes_altered"] = sum(altered_flags)
        return column, losses

    # ---- decode -------------------------------------------------------------------------------------

    def decode(self, tokens, conditioning: Conditioning, beats_per_bar: int | None = None):
        """A valid song from a token stream. Robust: tokens before BOS and after EOS are ignored; a start
        token of the wrong channel kind, a HOLD with nothing sounding, or any special token inside a bar is
        a rest; bars are cut or padded to ``beats_per_bar`` (default: the longest bar, 3-16 beats)."""
        from beepbrain.format import Note, Pattern, new_song

        cond = conditioning
        channels = cond.channels
        tpb = self.config.ticks_per_beat
        ppt = self.config.parts_per_tick
        toks = np.asarray(tokens, dtype=np.int64).ravel()
        starts = np.flatnonzero(toks == BOS)
        if len(starts):
            toks = toks[starts[0] + 1 :]
        ends = np.flatnonzero(toks == EOS)
        if len(ends):
            toks = toks[: ends[0]]
        toks = np.where((toks >= 0) & (toks < self.vocab_size), toks, REST)
        bar_lines = np.flatnonzero(toks == BAR)
        segments = np.split(toks, bar_lines)
        segments = [segments[0]] + [s[1:] for s in segments[1:]]
        segments = segments[:BAR_COUNT_MAX]
        n_bars = len(segments)
        if beats_per_bar is None:
            longest = max(len(s) for s in segments)
            beats_per_bar = math.ceil(math.ceil(longest / channels) / tpb) if longest else 8
        bpb = min(max(int(beats_per_bar), BEATS_PER_BAR_MIN), BEATS_PER_BAR_MAX)
        ticks_bar = bpb * tpb
        grid = np.full((n_bars, ticks_bar * channels), REST, dtype=np.int64)
        for b, segment in enumerate(segments):
            segment = segment[: ticks_bar * channels]
            grid[b, : len(segment)] = segment
        grid = grid.reshape(n_bars, ticks_bar, channels)

        song = new_song(
            cond.pitch_channels,
            cond.noise_channels,
            bars=n_bars,
            beats_per_bar=bpb,
            rhythm=cond.rhythm,
            patterns_per_channel=1,
        )
        song.loop_start, song.loop_length = 0, n_bars
        most_patterns = 1
        for c, channel in enumerate(song.channels):
            valid_start = self._drum_start if c >= cond.pitch_channels else self._pitch_start
            patterns: dict[tuple, int] = {}
            channel.bars = [0] * n_bars
            for b, notes in self._channel_notes(grid[:, :, c], valid_start).items():
                if notes not in patterns:
                    patterns[notes] = len(patterns) + 1
                channel.bars[b] = patterns[notes]
            channel.patterns = [
                Pattern(notes=[Note.simple(list(p), s * ppt, e * ppt) for p, s, e in key]) for key in patterns
            ]
            most_patterns = max(most_patterns, len(patterns))
        song.patterns_per_channel = most_patterns
        for channel in song.channels:
            channel.patterns += [Pattern() for _ in range(most_patterns - len(channel.patterns))]
        return song

    def _channel_notes(self, columns: np.ndarray, valid_start: np.ndarray) -> dict[int, tuple]:
        """Notes ((pitches), start tick, end tick) per bar of one channel's tokens ``[bars, ticks]``: a start
        token opens a note that lasts through the HOLDs right after it."""
        bars, ticks = columns.shape
        is_start = valid_start[columns]
        if not is_start.any():
            return {}
        not_hold = np.where(columns != HOLD, np.arange(ticks), ticks)
        next_not_hold = np.minimum.accumulate(not_hold[:, ::-1], axis=1)[:, ::-1]
        end_after = np.concatenate([next_not_hold[:, 1:], np.full((bars, 1), ticks)], axis=1)
        rows, starts = np.nonzero(is_start)
        ends = end_after[rows, starts]
        tokens = columns[rows, starts]
        out: dict[int, list] = {}
        pitches = self._pitches_of
        for b, s, e, t in zip(rows.tolist(), starts.tolist(), ends.tolist(), tokens.tolist(), strict=True):
            out.setdefault(b, []).append((pitches[t], s, e))
        return {b: tuple(notes) for b, notes in out.items()}

    # ---- other --------------------------------------------------------------------------------------

    def transpose(self, tokens: np.ndarray, semitones: int, bends: bool = True) -> np.ndarray | None:
        """The stream with every pitch-channel note moved by ``semitones`` (drums stay), or None if a note
        would leave the pitch range or lose its chord token (ticks hold no bends: ``bends`` is moot)."""
        table = self.vocab.transpose_table(semitones)
        moved = table[tokens.astype(np.int64)]
        if (moved < 0).any():
            return None
        return moved.astype(np.uint16)

    def change_key(self, tokens: np.ndarray, semitones: int) -> np.ndarray | None:
        """The song in a key ``semitones`` away: its pitches are sounding pitches, so they move
        (``transpose``); None if a note would leave the range."""
        return self.transpose(np.asarray(tokens), int(semitones))

    def key_of(self, tokens: np.ndarray) -> int:
        """The tick stream names no key: 0."""
        return 0

    def view(
        self, tokens, conditioning: Conditioning, start_bar: int, block_size: int | None = None
    ) -> list[int]:
        """The stream from bar ``start_bar`` (0-based) on as a song of its own: BOS, then its bars (a
        tick stream has no header, no pattern numbers to rewrite and nothing to pin)."""
        toks = [int(t) for t in tokens]
        if start_bar <= 0:
            return toks
        lines = self.bar_lines(toks)
        at = int(lines[min(int(start_bar), len(lines) - 1)])
        return [BOS] + toks[at + 1 :]

    def window(
        self, view, conditioning: Conditioning, block_size: int, shown_only: bool = False
    ) -> list[int]:
        """A training or scoring window cut from a ``view``: at most ``block_size + 1`` tokens (a tick
        stream names no pattern)."""
        return [int(t) for t in view][: int(block_size) + 1]

    def rejoin(self, tokens, window, conditioning: Conditioning, start_bar: int) -> list[int]:
        """The whole stream from the song before ``start_bar`` (``tokens``) and its ``view`` from there."""
        if start_bar <= 0:
            return [int(t) for t in window]
        toks = [int(t) for t in tokens]
        at = int(self.bar_lines(toks)[int(start_bar)])
        return toks[:at] + [BAR] + [int(t) for t in window[1:]]

    def channel_marks(self) -> None:
        """None: a tick stream's channels are not read by the model."""
        return None

    def decision_ids(self) -> np.ndarray:
        """No per-bar items in a tick stream."""
        return np.zeros(0, dtype=np.int64)

    def bar_lines(self, tokens) -> np.ndarray:
        """Offsets of the stream's bar lines: BOS opens bar 0, each BAR the next."""
        toks = np.asarray(tokens)
        return np.flatnonzero((toks == BOS) | (toks == BAR))

    def lowest_pitch(self, tokens: np.ndarray) -> int | None:
        """The lowest root of the stream's pitch-channel start tokens (None: no pitch notes)."""
        toks = np.asarray(tokens).astype(np.int64)
        pitch = self.vocab.kind[toks] == KIND_PITCH
        return int(self.vocab.root[toks[pitch]].min()) if pitch.any() else None

    def prompt_tokens(self, song, extra_bars: int) -> tuple[list[int], int]:
        """A song's tokens for the model to continue by ``extra_bars`` bars (its stream without EOS), and
        the bar count of the whole result."""
        tokens = [int(t) for t in self.encode(song).tokens]
        while tokens and tokens[-1] in (EOS, PAD):
            tokens.pop()
        bars = 1 + sum(1 for t in tokens if t == BAR)  # BOS opens the first bar, BAR each next one
        return tokens, bars + int(extra_bars)

    def grammar(
        self, conditioning: Conditioning, beats_per_bar: int | None = 8, bars: int | None = None, **fixed
    ):
        """The grammar of a song of this layout. The tick stream has no header: tempo, key, scale and
        instruments cannot be chosen by the model, so ``fixed`` values other than None are refused."""
        from beepbrain.tokens.tick_grammar import TickGrammar

        unsupported = sorted(k for k, v in fixed.items() if v not in (None, {}, False))
        if unsupported:
            raise ValueError(
                f"the tick tokenizer cannot fix {', '.join(unsupported)}: its songs carry no "
                "header (use a dataset built with --tokenizer pattern)"
            )
        return TickGrammar(self, conditioning, beats_per_bar=beats_per_bar or 8, bars=bars)
