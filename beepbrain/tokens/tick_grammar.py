"""Constrained decoding: which tokens may come next so that the stream stays decodable."""

from __future__ import annotations

import numpy as np

from beepbrain.format.config import BAR_COUNT_MAX
from beepbrain.tokens.conditioning import Conditioning
from beepbrain.tokens.tick_vocab import BAR, BOS, EOS, HOLD, KIND_DRUM, KIND_PITCH, PAD, REST


class TickGrammar:
    """The stream ``BOS bar BAR bar ... bar EOS`` for one song's channel layout.

    Inside a bar the position decides the channel (tick-major interleave) and so the token kind: REST,
    pitch starts on pitch channels, drum starts on drum channels, HOLD only while that channel's note
    sounds (notes end at bar lines). After ``beats_per_bar`` beats: BAR, or EOS (forced once ``bars`` bars
    are written, never before when ``bars`` is given). After EOS only PAD, and ``done`` is true.
    """

    def __init__(
        self, tokenizer, conditioning: Conditioning, beats_per_bar: int = 8, bars: int | None = None
    ):
        if not 1 <= beats_per_bar <= 16:
            raise ValueError(f"beats_per_bar={beats_per_bar} not in range [1, 16]")
        if bars is not None and not 1 <= bars <= BAR_COUNT_MAX:
            raise ValueError(f"bars={bars} not in range [1, {BAR_COUNT_MAX}]")
        self.tokenizer = tokenizer
        self.conditioning = conditioning
        self.beats_per_bar = beats_per_bar
        self.bars = bars
        self.channels = conditioning.channels
        self.bar_tokens = beats_per_bar * tokenizer.config.ticks_per_beat * self.channels
        kind = tokenizer.vocab.kind
        size = tokenizer.vocab_size
        self._only = {}
        for token in (BOS, PAD, BAR, EOS):
            m = np.zeros(size, dtype=bool)
            m[token] = True
            self._only[token] = m
        self._bar_or_eos = self._only[BAR] | self._only[EOS]
        self._pitch = (kind == KIND_PITCH) | (np.arange(size) == REST)
        self._drum = (kind == KIND_DRUM) | (np.arange(size) == REST)
        self._valid_start = {False: kind == KIND_PITCH, True: kind == KIND_DRUM}
        self.started = False
        self.done = False
        self.bar = 0  # bars completed
        self.position = 0  # tokens written in the current bar
        self.sounding = np.zeros(self.channels, dtype=bool)

    def _channel_is_drum(self, channel: int) -> bool:
        return channel >= self.conditioning.pitch_channels

    def mask(self) -> np.ndarray:
        """bool[vocab_size]: the tokens allowed next."""
        if self.done:
            return self._only[PAD].copy()
        if not self.started:
            return self._only[BOS].copy()
        if self.position == self.bar_tokens:
            if self.bars is not None:
                return self._only[EOS if self.bar + 1 >= self.bars else BAR].copy()
            return self._only[EOS].copy() if self.bar + 1 >= BAR_COUNT_MAX else self._bar_or_eos.copy()
        channel = self.position % self.channels
        m = (self._drum if self._channel_is_drum(channel) else self._pitch).copy()
        if self.sounding[channel]:
            m[HOLD] = True
        return m

    def allows(self, token: int) -> bool:
        return bool(self.mask()[int(token)])

    def advance(self, token: int) -> None:
        token = int(token)
        if not self.allows(token):
            raise ValueError(f"token {token} ({self.tokenizer.vocab.name(token)}) not allowed here")
        if self.done:
            return
        if not self.started:
            self.started = True
            return
        if self.position == self.bar_tokens:
            if token == EOS:
                self.done = True
            else:
                self.bar += 1
                self.position = 0
                self.sounding[:] = False
            return
        channel = self.position % self.channels
        if token != HOLD:
            self.sounding[channel] = bool(self._valid_start[self._channel_is_drum(channel)][token])
        self.position += 1
