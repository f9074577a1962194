"""The BeepBox song model and its codecs: URL versions 2-9 (decode), version 9 (encode), BeepBox JSON."""

from beepbrain.format.errors import BeepBoxFormatError
from beepbrain.format.new import new_song
from beepbrain.format.parse import parse_song
from beepbrain.format.song import Channel, Instrument, Note, NotePin, Pattern, Song

__all__ = [
    "BeepBoxFormatError",
    "Channel",
    "Instrument",
    "Note",
    "NotePin",
    "Pattern",
    "Song",
    "new_song",
    "parse_song",
]
