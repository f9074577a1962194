"""The tick tokenizer's configuration: the tick grid and the chord shapes that get tokens."""

from __future__ import annotations

from dataclasses import dataclass, field

from beepbrain.tokens.tick_vocab import default_drum_shapes, default_pitch_shapes

PARTS_PER_BEAT = 24
VALID_TICKS_PER_BEAT = (1, 2, 3, 4, 6, 8, 12, 24)


@dataclass
class TickTokenizerConfig:
    """``ticks_per_beat`` model ticks per beat (a divisor of BeepBox's 24 parts per beat);
    ``pitch_shapes`` / ``drum_shapes`` the chord shapes (intervals above the lowest pitch) that get tokens;
    ``trim_trailing_silence`` drops silent bars at a song's end."""

    ticks_per_beat: int = 12
    pitch_shapes: list[tuple[int, ...]] = field(default_factory=default_pitch_shapes)
    drum_shapes: list[tuple[int, ...]] = field(default_factory=default_drum_shapes)
    trim_trailing_silence: bool = True

    def __post_init__(self) -> None:
        if self.ticks_per_beat not in VALID_TICKS_PER_BEAT:
            raise ValueError(f"ticks_per_beat must divide {PARTS_PER_BEAT}: one of {VALID_TICKS_PER_BEAT}")
        self.pitch_shapes = [tuple(int(i) for i in s) for s in self.pitch_shapes]
        self.drum_shapes = [tuple(int(i) for i in s) for s in self.drum_shapes]

    @property
    def parts_per_tick(self) -> int:
        return PARTS_PER_BEAT // self.ticks_per_beat

    def to_dict(self) -> dict:
        return {
            "ticks_per_beat": self.ticks_per_beat,
            "pitch_shapes": [list(s) for s in self.pitch_shapes],
            "drum_shapes": [list(s) for s in self.drum_shapes],
            "trim_trailing_silence": self.trim_trailing_silence,
        }

    @classmethod
    def from_dict(cls, obj: dict) -> TickTokenizerConfig:
        known = {"ticks_per_beat", "pitch_shapes", "drum_shapes", "trim_trailing_silence"}
        unknown = set(obj) - known
        if unknown:
            raise ValueError(f"unknown tokenizer config keys: {sorted(unknown)}")
        return cls(**obj)
