"""BeepBox's URL-safe base64 alphabet and its lookup tables."""

from __future__ import annotations

ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_"

# value -> char; a dict so that an out-of-range value fails loudly instead of wrapping around
INT_TO_CHAR: dict[int, str] = dict(enumerate(ALPHABET))

# char code -> value, as BeepBox's base64CharCodeToInt: codes below 128 that are not in the alphabet read
# as 0 ('.' reads as 62, like '-'); codes from 128 up read as JavaScript's undefined (NaN here).
NAN = float("nan")
CODE_TO_INT: list[int] = [0] * 128
for _value, _char in enumerate(ALPHABET):
    CODE_TO_INT[ord(_char)] = _value
CODE_TO_INT[ord(".")] = 62


# char -> value for the tag reader: every ASCII char (non-alphabet ones read 0); others are missing (NaN)
CHAR_TO_INT: dict[str, int] = {chr(code): CODE_TO_INT[code] for code in range(128)}
