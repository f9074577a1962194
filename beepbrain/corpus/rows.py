"""Songs to rows: column lists for every corpus table, turned into Arrow tables with the schemas."""

from __future__ import annotations

import pyarrow as pa

from beepbrain.archive.records import Record
from beepbrain.corpus.schemas import TABLES
from beepbrain.format.song import RHYTHM_STEPS_PER_BEAT, Song

_B64 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_"
_VARIANTS = {"j": "jummbox"}

try:
    from beepbrain.format.config import INSTRUMENT_TYPE_NAMES
except ImportError:  # pragma: no cover - the codec's tables are optional here
    INSTRUMENT_TYPE_NAMES = ()


def variant_and_version(text: str) -> tuple[str, int | None]:
    """What a song string says of itself: BeepBox strings start with their version digit, other forks with a
    variant letter and then their version; JSON songs carry no URL version."""
    if not text:
        return "", None
    if text[0] == "{":
        return "json", None
    if text[0].isdigit():
        return "beepbox", _B64.index(text[0])
    version = _B64.find(text[1]) if len(text) > 1 else -1
    return _VARIANTS.get(text[0], text[0]), (version if version >= 0 else None)


def type_name(type_: int) -> str:
    return INSTRUMENT_TYPE_NAMES[type_] if 0 <= type_ < len(INSTRUMENT_TYPE_NAMES) else f"type {type_}"


class Rows:
    """Column lists per table; ``add_song``/``add_source``/``add_reject`` append, ``tables()`` converts."""

    def __init__(self, batch: str) -> None:
        self.batch = batch
        self.columns: dict[str, dict[str, list]] = {
            name: {field: [] for field in schema.names} for name, schema in TABLES.items()
        }
        # notes' list columns are kept flat (values + offsets): Arrow builds them without Python objects
        notes = self.columns["notes"]
        del notes["pitches"], notes["pins"]
        self.flat = {
            "pitch": [],
            "pitch_end": [],
            "pin_time": [],
            "pin_interval": [],
            "pin_size": [],
            "pin_end": [],
        }

    def _append(self, table: str, **values) -> None:
        cols = self.columns[table]
        for name, column in cols.items():
            column.append(values.get(name))

    def add_source(self, record: Record, song_id: str) -> None:
        self._append(
            "sources",
            record_id=record.record_id,
            record_key=record.key,
            song_id=song_id,
            source=record.source,
            line=record.line,
            offset=record.offset,
            author=record.author,
            fork=record.fork,
            url=record.url,
            content=record.content,
            batch=self.batch,
        )

    def add_reject(self, record: Record, stage: str, error: str, data: str | None = None) -> None:
        self._append(
            "rejects",
            record_id=record.record_id,
            record_key=record.key,
            source=record.source,
            line=record.line,
            offset=record.offset,
            stage=stage,
            error=error,
            author=record.author,
            fork=record.fork,
            url=record.url,
            data=data if data is not None else record.data or None,
            raw=record.raw,
            batch=self.batch,
        )

    def _add_note(self, song_id: str, channel: int, pattern: int, index: int, note) -> None:
        cols, flat = self.columns["notes"], self.flat
        cols["song_id"].append(song_id)
        cols["channel"].append(channel)
        cols["pattern"].append(pattern)
        cols["note"].append(index)
        cols["start"].append(note.start)
        cols["end"].append(note.end)
        cols["continues_last_pattern"].append(bool(note.continues_last_pattern))
        flat["pitch"].extend(note.pitches)
        flat["pitch_end"].append(len(flat["pitch"]))
        for pin in note.pins:
            flat["pin_time"].append(pin.time)
            flat["pin_interval"].append(pin.interval)
            flat["pin_size"].append(pin.size)
        flat["pin_end"].append(len(flat["pin_time"]))

    def add_song(self, song_id: str, text: str, record: Record, song: Song) -> None:
        variant, version = variant_and_version(text)
        total_notes = 0
        total_patterns = 0
        types: set[str] = set()
        for c, channel in enumerate(song.channels):
            channel_notes = 0
            for p, pattern in enumerate(channel.patterns, start=1):
                for n, note in enumerate(pattern.notes):
                    self._add_note(song_id, c, p, n, note)
                channel_notes += len(pattern.notes)
                total_patterns += bool(pattern.notes)
                self._append(
                    "patterns",
                    song_id=song_id,
                    channel=c,
                    pattern=p,
                    note_count=len(pattern.notes),
                    instruments=list(pattern.instruments),
                )
            seq = self.columns["sequence"]
            bars = channel.bars
            seq["song_id"].extend([song_id] * len(bars))
            seq["channel"].extend([c] * len(bars))
            seq["bar"].extend(range(len(bars)))
            seq["pattern"].extend(bars)
            for i, inst in enumerate(channel.instruments):
                types.add(type_name(inst.type))
                self._append(
                    "instruments",
                    song_id=song_id,
                    channel=c,
                    instrument=i,
                    type=inst.type,
                    type_name=type_name(inst.type),
                    preset=inst.preset,
                    volume=inst.volume,
                    pan=inst.pan,
                    effects=inst.effects,
                    chord=inst.chord,
                    transition=inst.transition,
                    fade_in=inst.fade_in,
                    fade_out=inst.fade_out,
                    reverb=inst.reverb,
                )
            self._append(
                "channels",
                song_id=song_id,
                channel=c,
                is_noise=song.is_noise_channel(c),
                octave=channel.octave,
                muted=bool(channel.muted),
                instrument_count=len(channel.instruments),
                pattern_count=len(channel.patterns),
                bars_played=sum(1 for b in bars if b),
                note_count=channel_notes,
            )
            total_notes += channel_notes
        rhythm = song.rhythm
        steps = RHYTHM_STEPS_PER_BEAT[rhythm] if 0 <= rhythm < len(RHYTHM_STEPS_PER_BEAT) else None
        duration = song.bar_count * song.beats_per_bar * 60.0 / song.tempo if song.tempo > 0 else None
        self._append(
            "songs",
            song_id=song_id,
            data=text,
            source_url=record.url,
            author=record.author,
            fork=record.fork,
            variant=variant,
            format_version=version,
            tempo=song.tempo,
            key=song.key,
            scale=song.scale,
            rhythm=rhythm,
            ticks_per_beat=steps,
            beats_per_bar=song.beats_per_bar,
            bar_count=song.bar_count,
            loop_start=song.loop_start,
            loop_length=song.loop_length,
            pitch_channels=song.pitch_channel_count,
            noise_channels=song.noise_channel_count,
            patterns_per_channel=song.patterns_per_channel,
            note_count=total_notes,
            pattern_count=total_patterns,
            duration_seconds=duration,
            layered_instruments=bool(song.layered_instruments),
            pattern_instruments=bool(song.pattern_instruments),
            instrument_types=sorted(types),
            first_record=record.key,
            batch=self.batch,
        )

    def mark(self) -> dict[str, int]:
        """Row counts now, to undo a song whose rows could not all be built."""
        mark = {name: len(next(iter(cols.values()))) for name, cols in self.columns.items()}
        mark.update({f"flat:{k}": len(v) for k, v in self.flat.items()})
        return mark

    def rollback(self, mark: dict[str, int]) -> None:
        for name, cols in self.columns.items():
            for column in cols.values():
                del column[mark[name] :]
        for key, values in self.flat.items():
            del values[mark[f"flat:{key}"] :]

    def tables(self) -> dict[str, pa.Table]:
        out = {}
        for name, cols in self.columns.items():
            schema = TABLES[name]
            if name == "notes":
                out[name] = self._notes_table(cols, schema)
            else:
                out[name] = pa.Table.from_pydict(cols, schema=schema)
        return out

    def _notes_table(self, cols: dict[str, list], schema: pa.Schema) -> pa.Table:
        flat = self.flat
        pitch_type = schema.field("pitches").type
        pin_type = schema.field("pins").type.value_type
        pitches = pa.ListArray.from_arrays(
            pa.array([0, *flat["pitch_end"]], pa.int32()), pa.array(flat["pitch"], pitch_type.value_type)
        )
        pins = pa.StructArray.from_arrays(
            [
                pa.array(flat["pin_time"], pin_type.field("time").type),
                pa.array(flat["pin_interval"], pin_type.field("interval").type),
                pa.array(flat["pin_size"], pin_type.field("size").type),
            ],
            fields=list(pin_type),
        )
        pins = pa.ListArray.from_arrays(pa.array([0, *flat["pin_end"]], pa.int32()), pins)
        arrays = [
            pitches if f.name == "pitches" else pins if f.name == "pins" else pa.array(cols[f.name], f.type)
            for f in schema
        ]
        return pa.Table.from_arrays(arrays, schema=schema)
