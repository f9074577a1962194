"""Arrow schemas of the corpus tables: one place that says what every column is."""

from __future__ import annotations

import pyarrow as pa

_i8, _i16, _i32, _i64, _f64, _s, _b = (
    pa.int8(),
    pa.int16(),
    pa.int32(),
    pa.int64(),
    pa.float64(),
    pa.string(),
    pa.bool_(),
)

PIN = pa.struct([("time", _i32), ("interval", _i16), ("size", _i8)])

SONGS = pa.schema(
    [
        ("song_id", _s),  # sha1 of the song string, 16 hex digits
        ("data", _s),  # the song string (what follows '#')
        ("source_url", _s),  # url of the first record that brought the song
        ("author", _s),
        ("fork", _s),  # the record's `type`: beepbox, jummbox, or a fork's name
        ("variant", _s),  # what the string itself says: beepbox, jummbox, json, or its variant letter
        ("format_version", _i16),
        ("tempo", _i32),  # beats per minute
        ("key", _i16),  # 0 = C ... 11 = B
        ("scale", _i16),
        ("rhythm", _i16),  # 0-4: ÷3, ÷4, ÷6, ÷8, freehand
        ("ticks_per_beat", _i16),  # the rhythm's steps per beat
        ("beats_per_bar", _i16),
        ("bar_count", _i32),
        ("loop_start", _i32),
        ("loop_length", _i32),
        ("pitch_channels", _i16),
        ("noise_channels", _i16),
        ("patterns_per_channel", _i32),
        ("note_count", _i64),
        ("pattern_count", _i32),  # non-empty patterns, all channels
        ("duration_seconds", _f64),  # one pass through every bar, no loop repeats
        ("layered_instruments", _b),
        ("pattern_instruments", _b),
        ("instrument_types", pa.list_(_s)),  # distinct instrument type names, sorted
        ("first_record", _s),  # source#line of the first record that brought the song
        ("batch", _s),
    ]
)

SOURCES = pa.schema(
    [  # one row per accepted record: provenance; a song has one or more
        ("record_id", _s),  # hash of the record's content
        ("record_key", _s),  # source#line
        ("song_id", _s),
        ("source", _s),
        ("line", _i64),
        ("offset", _i64),
        ("author", _s),
        ("fork", _s),
        ("url", _s),
        ("content", _s),
        ("batch", _s),
    ]
)

CHANNELS = pa.schema(
    [
        ("song_id", _s),
        ("channel", _i16),
        ("is_noise", _b),
        ("octave", _i16),
        ("muted", _b),
        ("instrument_count", _i16),
        ("pattern_count", _i32),
        ("bars_played", _i32),  # bars that name a pattern
        ("note_count", _i64),
    ]
)

PATTERNS = pa.schema(
    [
        ("song_id", _s),
        ("channel", _i16),
        ("pattern", _i32),  # 1-based, as in `sequence`
        ("note_count", _i32),
        ("instruments", pa.list_(_i16)),
    ]
)

NOTES = pa.schema(
    [
        ("song_id", _s),
        ("channel", _i16),
        ("pattern", _i32),
        ("note", _i32),  # index within the pattern
        ("start", _i32),  # parts (24 per beat) from the pattern's start
        ("end", _i32),  # exclusive
        ("pitches", pa.list_(_i16)),
        ("pins", pa.list_(PIN)),
        ("continues_last_pattern", _b),
    ]
)

SEQUENCE = pa.schema(
    [
        ("song_id", _s),
        ("channel", _i16),
        ("bar", _i32),
        ("pattern", _i32),  # 0 = silent bar
    ]
)

INSTRUMENTS = pa.schema(
    [
        ("song_id", _s),
        ("channel", _i16),
        ("instrument", _i16),
        ("type", _i16),
        ("type_name", _s),
        ("preset", _i32),
        ("volume", _i32),
        ("pan", _i32),
        ("effects", _i32),
        ("chord", _i16),
        ("transition", _i16),
        ("fade_in", _i16),
        ("fade_out", _i16),
        ("reverb", _i16),
    ]
)

REJECTS = pa.schema(
    [
        ("record_id", _s),
        ("record_key", _s),
        ("source", _s),
        ("line", _i64),
        ("offset", _i64),
        ("stage", _s),  # read, json or parse
        ("error", _s),
        ("author", _s),
        ("fork", _s),
        ("url", _s),
        ("data", _s),  # the song string, when the record got that far
        ("raw", _s),  # the raw text, when it did not
        ("batch", _s),
    ]
)

# Table name -> schema, in the order the catalog lists them.
TABLES: dict[str, pa.Schema] = {
    "songs": SONGS,
    "sources": SOURCES,
    "channels": CHANNELS,
    "patterns": PATTERNS,
    "notes": NOTES,
    "sequence": SEQUENCE,
    "instruments": INSTRUMENTS,
    "rejects": REJECTS,
}
# Tables whose rows belong to one song (dropped together when the song turns out to be a duplicate).
SONG_TABLES = ("songs", "channels", "patterns", "notes", "sequence", "instruments")
