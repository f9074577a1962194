"""`beepbrain song to-midi`: real songs of the test corpus written as MIDI and read back with mido.

Programs: an instrument made from a BeepBox preset gets the preset's General MIDI program (the numbers below
are BeepBox's own, from its preset menu), any other its type's; drums go to channel 10 without a program.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import mido
import pytest

from beepbrain.cli import main
from beepbrain.format import config as c
from beepbrain.format import parse_song
from beepbrain.midi.presets import PRESETS, preset_program
from beepbrain.midi.write import GM_PROGRAMS, TICKS_PER_PART

BEEPBRAIN = Path(sys.executable).parent / "beepbrain"

# BeepBox's presets used by the songs below: value ((category << 6) + index) -> General MIDI program.
RECORDER, OCARINA, CONTRABASS = 833, 835, 579  # programs 74, 79, 43
ACOUSTIC_BASS, PIPE_ORGAN = 320, 516  # 32, 19
BIRD_TWEET, STEEL_GUITAR = 1030, 257  # 123, 25
EXPECTED = {
    RECORDER: 74,
    OCARINA: 79,
    CONTRABASS: 43,
    ACOUSTIC_BASS: 32,
    PIPE_ORGAN: 19,
    BIRD_TWEET: 123,
    STEEL_GUITAR: 25,
}


def _presets(record) -> list[int | None]:
    """The preset of each pitch channel's first instrument in BeepBox's own JSON export (None: no preset)."""
    return [ch["instruments"][0].get("preset") for ch in record["json"]["channels"] if ch["type"] == "pitch"]


def _find(reference_records, presets: list[int | None]) -> dict:
    return next(r for r in reference_records if r["ok"] and _presets(r) == presets)


def to_midi(capsys, tmp_path, song: str, name: str = "song.mid"):
    out = tmp_path / name
    code = main(["song", "to-midi", song, "--out", str(out)])
    stdout, stderr = capsys.readouterr()
    assert (code, stdout) == (0, f"{out}\n")
    assert "tracks" in stderr and "Traceback" not in stderr
    return mido.MidiFile(str(out))


def programs(midi) -> list[list[tuple[int, int, int]]]:
    """Per track after the tempo track: its (tick, channel, program) changes."""
    result = []
    for track in midi.tracks[1:]:
        tick, changes = 0, []
        for message in track:
            tick += message.time
            if message.type == "program_change":
                changes.append((tick, message.channel, message.program))
        result.append(changes)
    return result


@pytest.mark.parametrize(
    "presets",
    [
        [RECORDER, OCARINA, CONTRABASS],  # presets whose program differs from their type's (harmonics, FM)
        [None, ACOUSTIC_BASS, PIPE_ORGAN],  # a chip instrument made from scratch, then two presets
        [BIRD_TWEET, None, STEEL_GUITAR],
    ],
)
def test_each_channel_gets_its_presets_program(capsys, tmp_path, reference_records, presets):
    record = _find(reference_records, presets)
    song = parse_song(record["data"])
    midi = to_midi(capsys, tmp_path, record["data"])
    assert len(midi.tracks) == 1 + song.channel_count
    changes = programs(midi)
    for index, preset in enumerate(presets):
        inst_type = song.channels[index].instruments[0].type
        expected = EXPECTED[preset] if preset is not None else GM_PROGRAMS[inst_type]
        assert [(tick, program) for tick, _, program in changes[index]] == [(0, expected)], (index, preset)
    assert GM_PROGRAMS[c.CHIP] == 80  # the chip instrument without a preset: square lead
    # one MIDI channel per pitch channel, the notes on it
    for index in range(song.pitch_channel_count):
        channels = {m.channel for m in midi.tracks[1 + index] if m.type in ("note_on", "program_change")}
        assert channels == {index}


def test_drums_on_channel_10_without_a_program(capsys, tmp_path, reference_records):
    record = _find(reference_records, [RECORDER, OCARINA, CONTRABASS])
    song = parse_song(record["data"])
    assert song.noise_channel_count == 1
    midi = to_midi(capsys, tmp_path, record["data"])
    drums = midi.tracks[-1]
    assert not [m for m in drums if m.type == "program_change"]
    hits = [m for m in drums if m.type == "note_on"]
    assert hits and {m.channel for m in hits} == {9}


def test_every_preset_in_the_corpus_is_known(reference_records):
    """Every preset BeepBox's own export names in the corpus is in our table; real presets have a program."""
    seen = {
        inst["preset"]
        for r in reference_records
        if r["ok"]
        for ch in r["json"]["channels"]
        for inst in ch["instruments"]
        if "preset" in inst
    }
    assert len(seen) > 100
    assert seen <= set(PRESETS)
    assert all(preset_program(p) is not None for p in seen)
    assert preset_program(c.CHIP) is None and preset_program(c.SUPERSAW) is None  # made from scratch
    assert preset_program(10_000) is None


def test_every_preset_song_gets_its_programs(tmp_path, reference_records):
    """All corpus songs with presets: each pitch channel's first program is its first instrument's, as named
    by BeepBox's own JSON export (so this does not lean on our decoder for the preset)."""
    checked = 0
    for record in reference_records:
        if not record["ok"] or not any(p is not None for p in _presets(record)):
            continue
        song = parse_song(record["data"])
        out = tmp_path / "preset.mid"
        assert main(["song", "to-midi", record["data"], "--out", str(out)]) == 0
        changes = programs(mido.MidiFile(str(out)))
        for index, preset in enumerate(_presets(record)):
            if preset is None or song.pattern_instruments:
                continue
            midi_channel = index if index < 9 else index + 1  # channel 10 is the drums'
            assert changes[index][0] == (0, midi_channel, preset_program(preset)), (
                record["data"][:40],
                index,
            )
            checked += 1
    assert checked > 200


def test_a_pattern_switching_instruments_changes_program_at_the_bar(capsys, tmp_path, reference_records):
    """A channel whose patterns use a chip and an FM instrument (no presets) in turn."""
    record = next(r for r in reference_records if r["ok"] and _switches(parse_song(r["data"])))
    song = parse_song(record["data"])
    index = _switches(song)
    midi = to_midi(capsys, tmp_path, record["data"])
    changes = programs(midi)[index]
    bar_ticks = song.parts_per_bar * TICKS_PER_PART
    expected, last = [], None
    for bar in range(song.bar_count):
        pattern = song.pattern_at(index, bar)
        if pattern is None or not pattern.notes:
            continue
        program = GM_PROGRAMS[song.channels[index].instruments[pattern.instruments[0]].type]
        if program != last:
            expected.append((0 if last is None else bar * bar_ticks, program))
            last = program
    assert len(expected) > 2
    assert [(tick, program) for tick, _, program in changes] == expected


def _switches(song) -> int | None:
    """A pitch channel whose played patterns use instruments of different types (no presets), or None."""
    if not song.pattern_instruments:
        return None
    for index in range(song.pitch_channel_count):
        instruments = song.channels[index].instruments
        used = {
            pattern.instruments[0]
            for bar in range(song.bar_count)
            if (pattern := song.pattern_at(index, bar)) is not None and pattern.notes
        }
        if len({instruments[i].type for i in used}) > 1 and all(
            instruments[i].preset == instruments[i].type for i in used
        ):
            return index
    return None


def test_bad_input_and_unwritable_out_exit_2_with_one_line(capsys, tmp_path, reference_records):
    for arg in ("9zz", "not a song", str(tmp_path / "missing.txt")):
        code = main(["song", "to-midi", arg, "--out", str(tmp_path / "x.mid")])
        out, err = capsys.readouterr()
        assert (code, out) == (2, "")
        assert err.startswith("beepbrain song: ") and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "x.mid").exists()
    (tmp_path / "a-file").write_text("")
    code = main(
        ["song", "to-midi", reference_records[0]["data"], "--out", str(tmp_path / "a-file" / "x.mid")]
    )
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err.startswith("beepbrain song: cannot write ") and err.count("\n") == 1


def test_console_script_reads_stdin(tmp_path, reference_records):
    record = _find(reference_records, [None, ACOUSTIC_BASS, PIPE_ORGAN])
    out = tmp_path / "stdin.mid"
    done = subprocess.run(
        [str(BEEPBRAIN), "song", "to-midi", "-", "--out", str(out)],
        capture_output=True,
        text=True,
        input=f"https://www.beepbox.co/#{record['data']}\n",
        timeout=120,
    )
    assert (done.returncode, done.stdout) == (0, f"{out}\n")
    assert [p for _, _, p in sum(programs(mido.MidiFile(str(out)))[:3], [])] == [80, 32, 19]
    bad = subprocess.run(
        [str(BEEPBRAIN), "song", "to-midi", "-", "--out", str(out)],
        capture_output=True,
        text=True,
        input="9zzz",
        timeout=120,
    )
    assert bad.returncode == 2 and bad.stdout == "" and bad.stderr.count("\n") == 1
