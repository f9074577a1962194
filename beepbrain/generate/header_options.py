"""Reading the header values a user may fix for a generated song: key names and instrument choices."""

from __future__ import annotations

from beepbrain.format import config as fc

_KEY_ALIASES = {name.replace("♯", "#"): i for i, name in enumerate(fc.KEY_NAMES)}
_KEY_ALIASES.update({name: i for i, name in enumerate(fc.KEY_NAMES)})
_FLATS = {"Db": 1, "Eb": 3, "Gb": 6, "Ab": 8, "Bb": 10}


def parse_key(text: str) -> int:
    """A key from a name (C, C#, C♯, Db, ... B) or a number 0-11."""
    t = text.strip()
    if t.isdigit() and 0 <= int(t) <= 11:
        return int(t)
    norm = t[:1].upper() + t[1:]
    if norm in _KEY_ALIASES:
        return _KEY_ALIASES[norm]
    if norm in _FLATS:
        return _FLATS[norm]
    raise ValueError(f"--key {text!r}: a key name (C, C#, Db, ... B) or 0-11")


def parse_scale(text: str) -> int:
    """A scale from its BeepBox name ("normal :)", "expert", ...) or a number 0-11."""
    t = text.strip()
    if t.isdigit() and 0 <= int(t) < len(fc.SCALE_NAMES):
        return int(t)
    for i, name in enumerate(fc.SCALE_NAMES):
        if t.lower() == name.lower():
            return i
    names = ", ".join(repr(n) for n in fc.SCALE_NAMES)
    raise ValueError(f"--scale {text!r}: one of {names}, or 0-{len(fc.SCALE_NAMES) - 1}")


def parse_instrument(text: str) -> tuple[int, int]:
    """``CHANNEL=TYPE`` (channel counted from 1, as BeepBox shows them; TYPE an instrument type name such
    as chip, FM, noise, drumset, or its number) as a (0-based channel, type) pair."""
    channel, sep, type_ = text.partition("=")
    if not sep or not channel.strip().isdigit() or int(channel) < 1:
        raise ValueError(f"--instrument {text!r}: write CHANNEL=TYPE, e.g. 1=FM or 4=drumset")
    t = type_.strip()
    names = {n.lower(): i for i, n in enumerate(fc.INSTRUMENT_TYPE_NAMES)}
    if t.isdigit() and int(t) < fc.INSTRUMENT_TYPE_COUNT:
        return int(channel) - 1, int(t)
    if t.lower() in names:
        return int(channel) - 1, names[t.lower()]
    raise ValueError(f"--instrument {text!r}: type must be one of {', '.join(fc.INSTRUMENT_TYPE_NAMES)}")
