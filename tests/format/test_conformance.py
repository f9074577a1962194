"""The issue's headline: for every song in the corpus, our decoder and encoders give what BeepBox's own give.

One pass over the whole reference corpus (BeepBox's decoder output per song) measures three levels and
prints a table: musical content (the JSON without instrument settings, each instrument's type kept),
the full JSON export, and the version-9 song string. Songs BeepBox rejects must be rejected, and every
song the corpus holds must survive ``Song.from_json(song.to_json())``.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field

import pytest

from beepbrain.format import BeepBoxFormatError, Song, parse_song


def _dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False)


def musical_content(song_json: dict) -> dict:
    """The JSON export less instrument settings: song fields, channels (with each instrument's type),
    patterns, notes and their points, sequences."""
    out = copy.deepcopy(song_json)
    for channel in out.get("channels", []):
        channel["instruments"] = [{"type": inst.get("type")} for inst in channel.get("instruments", [])]
    return out


def differing_keys(ours, ref, path: str = "", limit: int = 5) -> list[str]:
    """Paths where two JSON values differ (at most ``limit``)."""
    if isinstance(ours, dict) and isinstance(ref, dict):
        out = []
        if list(ours) != list(ref):
            out.append(f"{path or '/'}: keys {list(ours)} != {list(ref)}")
        for key in ours.keys() & ref.keys():
            out += differing_keys(ours[key], ref[key], f"{path}/{key}", limit)
        return out[:limit]
    if isinstance(ours, list) and isinstance(ref, list):
        if len(ours) != len(ref):
            return [f"{path}: length {len(ours)} != {len(ref)}"]
        out = []
        for i, (a, b) in enumerate(zip(ours, ref, strict=True)):
            out += differing_keys(a, b, f"{path}/{i}", limit)
            if len(out) >= limit:
                break
        return out[:limit]
    return [] if _dumps(ours) == _dumps(ref) else [f"{path}: {_dumps(ours)[:60]} != {_dumps(ref)[:60]}"]


@dataclass
class Conformance:
    accepted: int = 0
    rejected: int = 0
    musical_ok: int = 0
    json_ok: int = 0
    url_ok: int = 0
    rejects_ok: int = 0
    failures: dict[str, list[str]] = field(
        default_factory=lambda: {"musical": [], "json": [], "url": [], "reject": [], "decode": []}
    )

    def table(self) -> str:
        rows = [
            ("musical content (JSON less settings)", self.musical_ok, self.accepted),
            ("full JSON export", self.json_ok, self.accepted),
            ("version-9 song string", self.url_ok, self.accepted),
            ("BeepBox's rejects rejected", self.rejects_ok, self.rejected),
        ]
        lines = [
            f"\nBeepBox reference corpus: {self.accepted + self.rejected} songs "
            f"({self.accepted} accepted by BeepBox, {self.rejected} rejected)",
            f"{'level':40} {'match':>9} {'%':>6}",
        ]
        for name, ok, total in rows:
            pct = 100.0 * ok / total if total else 100.0
            lines.append(f"{name:40} {f'{ok}/{total}':>9} {pct:6.1f}")
        for level, items in self.failures.items():
            for item in items:
                lines.append(f"  [{level}] {item}")
        return "\n".join(lines)


@pytest.fixture(scope="module")
def conformance(reference_records) -> Conformance:
    result = Conformance()
    for record in reference_records:
        data = record["data"]
        label = data[:32]
        if not record["ok"]:
            result.rejected += 1
            try:
                parse_song(data)
            except BeepBoxFormatError:
                result.rejects_ok += 1
            else:
                result.failures["reject"].append(f"{label}: accepted, BeepBox says {record['error']}")
            continue
        result.accepted += 1
        try:
            song = parse_song(data)
        except BeepBoxFormatError as exc:
            result.failures["decode"].append(f"{label}: {exc}")
            continue
        ours, ref = song.to_json(), record["json"]
        if _dumps(musical_content(ours)) == _dumps(musical_content(ref)):
            result.musical_ok += 1
        else:
            result.failures["musical"].append(
                f"{label}: {differing_keys(musical_content(ours), musical_content(ref))}"
            )
        if _dumps(ours) == _dumps(ref):
            result.json_ok += 1
        else:
            result.failures["json"].append(f"{label}: {differing_keys(ours, ref)}")
        if song.to_url() == record["url_v9"]:
            result.url_ok += 1
        else:
            result.failures["url"].append(f"{label}: differs")
    print(result.table())
    return result


def test_corpus_is_large_enough(conformance):
    assert conformance.accepted >= 150 and conformance.rejected >= 1


def test_musical_content_matches_for_every_song(conformance):
    assert conformance.musical_ok == conformance.accepted, conformance.table()


def test_full_json_matches_for_every_song(conformance):
    # measured: 100%; any regression prints the songs and keys that differ
    assert conformance.json_ok == conformance.accepted, conformance.table()


def test_version_9_string_matches_for_every_song(conformance):
    assert conformance.url_ok == conformance.accepted, conformance.table()


def test_songs_beepbox_rejects_are_rejected(conformance):
    assert conformance.rejects_ok == conformance.rejected, conformance.table()


def _drop_flat_middle_pins(pins: list) -> list:
    """BeepBox's JSON reader drops a pin between two that share its bend and size (it changes nothing)."""
    out = list(pins)
    k = 2
    while k < len(out):
        a, b, c = out[k - 2], out[k - 1], out[k]
        if a.interval == b.interval == c.interval and a.size == b.size == c.size:
            del out[k - 1]
        else:
            k += 1
    return out


def as_json_reader_gives_it(song: Song) -> Song:
    """The song as BeepBox's JSON reader gives it back: a note's repeated pitch kept once, and pins that
    change nothing dropped. (BeepBox's and JummBox's URL decoders keep both; the music is the same.)"""
    out = copy.deepcopy(song)
    for channel in out.channels:
        for pattern in channel.patterns:
            for note in pattern.notes:
                note.pitches = list(dict.fromkeys(note.pitches))
                note.pins = _drop_flat_middle_pins(note.pins)
    return out


def test_json_round_trip_for_every_corpus_song(corpus_records):
    """``Song.from_json(song.to_json()) == song`` for every song any decoder here accepts."""
    checked = 0
    failures = []
    for record in corpus_records:
        try:
            song = parse_song(record["data"])
        except BeepBoxFormatError:
            continue
        checked += 1
        again = Song.from_json(song.to_json())
        if again != as_json_reader_gives_it(song):
            failures.append(f"{record['type']}: {record['data'][:40]}")
    print(f"\nJSON round trip: {checked - len(failures)}/{checked} corpus songs")
    assert checked >= 150
    assert not failures, failures[:5]


def test_json_text_parses_to_the_same_song(reference_records):
    """BeepBox's own JSON export, given to parse_song as text, is the song its string decodes to."""
    for record in reference_records:
        if record["ok"]:
            from_text = parse_song(_dumps(record["json"]))
            assert from_text == as_json_reader_gives_it(parse_song(record["data"])), record["data"][:40]
