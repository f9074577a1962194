"""Bit fields in BeepBox's base64: reading (``BitFieldReader``) and writing (``BitFieldWriter``).

The reader holds its bits as a '0'/'1' string, so reads are slices parsed in C and long tails are one
``str.find``. As in BeepBox, the reader spans ``[start, stop)`` characters of the song string: characters
past the string's end read as zero bits, and a fixed-width read past ``stop`` gives NaN (JavaScript's
``undefined`` arithmetic), which callers treat as BeepBox does.
"""

from __future__ import annotations

from itertools import chain, repeat

from beepbrain.format.base64 import ALPHABET, CODE_TO_INT, NAN
from beepbrain.format.errors import BeepBoxFormatError

_SIX_BITS = [format(v, "06b") for v in range(64)]
_CHAR_BITS: dict[str, str] = {chr(code): _SIX_BITS[CODE_TO_INT[code]] for code in range(128)}
_ZEROS = "000000"
_TRANSLATE = {code: _SIX_BITS[CODE_TO_INT[code]] for code in range(128)}


_FIELD_TABLES: dict[int, dict[str, int]] = {}


def bit_fields(bits: str, width: int, start: int, count: int) -> list[int]:
    """``count`` consecutive ``width``-bit fields of the '0'/'1' string ``bits`` from ``start`` (which must
    hold them all), by table lookup: faster than ``int(..., 2)`` for each."""
    table = _FIELD_TABLES.get(width)
    if table is None:
        table = _FIELD_TABLES[width] = {format(v, "b").zfill(width): v for v in range(1 << width)}
    return [table[bits[k : k + width]] for k in range(start, start + width * count, width)]


_CHAR_POINTS = {chr(code): divmod(CODE_TO_INT[code], 8) for code in range(128)}


def three_bit_fields(text: str, start: int, count: int) -> list[int]:
    """``count`` 3-bit fields from character ``start`` of ``text``, two to a character: what a BitReader
    over those characters reads (characters past the end, or beyond ASCII, read as zero bits)."""
    chars = -(-count // 2)
    pairs = map(_CHAR_POINTS.get, text[start : start + chars], repeat((0, 0)))
    points = list(chain.from_iterable(pairs))
    if len(points) < count:
        points.extend([0] * (count - len(points)))
    del points[count:]
    return points


class BitReader:
    __slots__ = ("bits", "have", "limit", "pos")

    def __init__(self, text: str, start: int, stop: int) -> None:
        stop = max(start, stop)
        chunk = text[start:stop]
        if chunk.isascii():
            self.bits = chunk.translate(_TRANSLATE)
        else:
            table = _CHAR_BITS
            self.bits = "".join([table.get(ch, _ZEROS) for ch in chunk])
        self.have = len(self.bits)  # bits actually present; beyond them, up to limit, zeros
        self.limit = 6 * (stop - start)
        self.pos = 0

    def read(self, count: int):
        if count <= 0:
            return 0
        pos = self.pos
        end = pos + count
        self.pos = end
        if end <= self.have:
            return int(self.bits[pos:end], 2)
        if end > self.limit:
            return NAN
        if pos >= self.have:
            return 0
        return int(self.bits[pos : self.have], 2) << (end - self.have)

    def read_long_tail(self, min_value: int, min_bits: int) -> int:
        pos = self.pos
        zero = self.bits.find("0", pos)
        if zero < 0:
            zero = max(pos, self.have)  # the next bit is a zero or undefined: both end the run of ones
        ones = zero - pos
        num_bits = min_bits + ones
        start = zero + 1
        end = start + num_bits
        self.pos = end
        if num_bits > 31:  # JavaScript's 1 << n wraps at 32 bits: reproduce it
            return _js_long_tail(min_value, min_bits, ones, self.bits[start : min(end, self.have)])
        result = min_value + ((1 << num_bits) - (1 << min_bits))
        if end <= self.have:
            if num_bits:
                result += int(self.bits[start:end], 2)
        elif start < self.have:
            result += int(self.bits[start : self.have], 2) << (end - self.have)
        return result

    def at_end_of_data(self) -> bool:
        return self.pos >= self.have


def _js_shl1(n: int) -> int:
    n &= 31
    return -(1 << 31) if n == 31 else 1 << n


def _js_long_tail(min_value: int, min_bits: int, ones: int, tail: str) -> int:
    result = min_value
    num_bits = min_bits
    for _ in range(ones):
        result += _js_shl1(num_bits)
        num_bits += 1
    for bit in tail:
        num_bits -= 1
        if bit == "1":
            result += _js_shl1(num_bits)
    return result


class BitWriter:
    """Appends bit fields and emits base64 characters as they fill."""

    __slots__ = ("acc", "nbits", "chars")

    def __init__(self) -> None:
        self.acc = 0
        self.nbits = 0
        self.chars: list[str] = []

    def write(self, count: int, value: int) -> None:
        acc = (self.acc << count) | (value & ((1 << count) - 1))
        nbits = self.nbits + count
        chars = self.chars
        while nbits >= 6:
            nbits -= 6
            chars.append(ALPHABET[(acc >> nbits) & 63])
        self.acc = acc & ((1 << nbits) - 1)
        self.nbits = nbits

    def write_long_tail(self, min_value: int, min_bits: int, value: int) -> None:
        self.write(*long_tail_code(min_value, min_bits, value))

    def length_chars(self) -> int:
        return len(self.chars) + (1 if self.nbits else 0)

    def text(self) -> str:
        """The base64 text, the last character zero-padded."""
        if self.nbits:
            return "".join(self.chars) + ALPHABET[(self.acc << (6 - self.nbits)) & 63]
        return "".join(self.chars)


def long_tail_code(min_value: int, min_bits: int, value: int) -> tuple[int, int]:
    """(bit count, bits) of BeepBox's variable-length "long tail" code for `value`: a run of ones, a zero,
    then the remainder in a width that grows by one bit per leading one."""
    if value < min_value:
        raise BeepBoxFormatError("value out of bounds")
    value -= min_value
    num_bits = min_bits
    ones = 0
    while value >= (1 << num_bits):
        value -= 1 << num_bits
        num_bits += 1
        ones += 1
    return ones + 1 + num_bits, (((1 << ones) - 1) << (1 + num_bits)) | value
