"""Reading a JummBox song string: base64 characters one at a time, and bit fields (JummBox's BitFieldReader).

Where JummBox would read JavaScript's ``undefined`` (past the end of the string, a character outside ASCII)
and carry on with NaN, these readers raise BeepBoxFormatError naming the position instead.
"""

from __future__ import annotations

from beepbrain.format.base64 import CODE_TO_INT
from beepbrain.format.errors import BeepBoxFormatError


_SIX_BITS = [format(CODE_TO_INT[code], "06b") for code in range(128)]


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
            raise BeepBoxFormatError("song string ends in the middle of a setting", pos)
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


class BitReader:
    """Bits of ``text[start:stop]``, six per character, most significant first."""

    def __init__(self, text: str, start: int, stop: int) -> None:
        chunk = text[start:stop]
        # as JummBox: characters outside ASCII, and those past the end of the text, read as zero bits
        self._bits = "".join(_SIX_BITS[ord(c)] if ord(c) < 128 else "000000" for c in chunk) \
            + "000000" * (max(stop, start) - start - len(chunk))
        self._start = start
        self._index = 0

    def _fail(self) -> BeepBoxFormatError:
        return BeepBoxFormatError("pattern data ends early", self._start + self._index // 6)

    def read(self, count: int) -> int:
        end = self._index + count
        if end > len(self._bits):
            raise self._fail()
        chunk = self._bits[self._index : end]
        self._index = end
        return int(chunk, 2) if chunk else 0

    def read_long_tail(self, min_value: int, min_bits: int) -> int:
        bits = self._bits
        end = bits.find("0", self._index)
        if end < 0:
            raise self._fail()
        ones = end - self._index
        self._index = end + 1
        num_bits = min_bits + ones
        result = min_value + (((1 << ones) - 1) << min_bits)
        return result + self.read(num_bits)

    def read_part_duration(self) -> int:
        return self.read_long_tail(1, 3)

    def read_pin_count(self) -> int:
        return self.read_long_tail(1, 0)

    def read_pitch_interval(self) -> int:
        if self.read(1):
            return -self.read_long_tail(1, 3)
        return self.read_long_tail(1, 3)
