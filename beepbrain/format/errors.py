"""The one error every bad song input raises."""

from __future__ import annotations


class BeepBoxFormatError(ValueError):
    """A song string, URL or JSON text that BeepBox itself would reject (or that no decoder here reads).

    ``position`` is the character index in the song string where decoding failed, when known;
    ``reason`` says what was wrong. The message names both.
    """

    def __init__(self, reason: str, position: int | None = None) -> None:
        self.reason = reason
        self.position = position
        where = f" at character {position}" if position is not None else ""
        super().__init__(f"bad BeepBox song{where}: {reason}")

    def __reduce__(self):
        # keep reason and position when the error crosses processes (Dask workers pickle it)
        return (type(self), (self.reason, self.position))
