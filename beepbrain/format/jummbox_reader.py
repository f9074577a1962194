"""Reading a JummBox song string: base64 characters one at a time, and bit fields (JummBox's BitFieldReader).

Where JummBox would read JavaScript's ``undefined`` (past the end of the string, a character outside ASCII)
and carry on with NaN, these readers raise BeepBoxFormatError naming the position instead.
"""

from __future__ import annotations

from beepbrain.format.base64 import CODE_TO_INT
from beepbrain.format.bits import BitReader as _BeepBoxBitReader
from beepbrain.format.errors import BeepBoxFormatError


class CharReader:
    """Base64 values from ``text``, one character each, from ``pos``."""

    def __init__(self, text: str, pos: int = 0) -> None:
        self.text = text
        self.pos = pos

    def more(self) -> bool:
        return self.pos < len(self.text)

    def value(self) -> int:
        pos = self.pos
        if pos >= len(self.text):
            raise BeepBoxFormatError("song string ends in the middle of a setting", len(self.text))
        code = ord(self.text[pos])
        if code >= 128:
            raise BeepBoxFormatError(f"character {self.text[pos]!r} is not base64", pos)
        self.pos = pos + 1
        return CODE_TO_INT[code]

    def value2(self) -> int:
        """Two characters, high 6 bits first."""
        high = self.value()
        return (high << 6) | self.value()

    def values(self, count: int) -> list[int]:
        return [self.value() for _ in range(count)]

    def skip(self, count: int) -> None:
        self.pos += count

    def bits(self, length: int) -> BitReader:
        """A BitReader over the next ``length`` characters (past the end of the string they read as zeros,
        as in JummBox); moves past them."""
        reader = BitReader(self.text, self.pos, self.pos + length)
        self.pos += length
        return reader


class BitReader(_BeepBoxBitReader):
    """BeepBox's BitFieldReader (shared with the BeepBox decoder) over ``text[start:stop]``, except that a
    read past ``stop`` raises BeepBoxFormatError where JummBox would go on with NaN."""

    __slots__ = ("start",)

    def __init__(self, text: str, start: int, stop: int) -> None:
        super().__init__(text, start, stop)
        self.start = start

    def fail(self, reason: str = "pattern data ends early") -> BeepBoxFormatError:
        return BeepBoxFormatError(reason, self.start + min(self.pos, self.have) // 6)

    def read(self, count: int) -> int:
        if self.pos + count > self.limit:
            raise self.fail()
        return super().read(count)

    def read_long_tail(self, min_value: int, min_bits: int) -> int:
        start = self.pos
        value = super().read_long_tail(min_value, min_bits)
        if self.pos > self.limit:
            raise self.fail()
        if self.pos - start > 2 * 24 + 1:  # 24+ bits of value: far past any real duration, count or step
            self.pos = start
            raise self.fail("value in pattern data too large")
        return value

    def read_part_duration(self) -> int:
        return self.read_long_tail(1, 3)

    def read_pin_count(self) -> int:
        return self.read_long_tail(1, 0)

    def read_pitch_interval(self) -> int:
        if self.read(1):
            return -self.read_long_tail(1, 3)
        return self.read_long_tail(1, 3)
