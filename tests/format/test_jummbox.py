"""JummBox songs decoded into BeepBox's model: the musical content against JummBox's own decoder output
(tests/data/reference-jummbox.jsonl.zst), validity in BeepBox's ranges, the mappings, and bad input."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from beepbrain.format import config as bb
from beepbrain.format import jummbox_tables as jb
from beepbrain.format.errors import BeepBoxFormatError
from beepbrain.format.jummbox import is_jummbox, parse_jummbox, read_jummbox
from beepbrain.format.jummbox_convert import note_size_to_bb
from beepbrain.format.parse import parse_song
from beepbrain.format.song import Song

JB_TYPE_TO_BB_NAME = {"custom chip": "chip"}


def _ok(records: list[dict]) -> list[dict]:
    return [r for r in records if r["ok"]]


# --- validity --------------------------------------------------------------------------------------------
def assert_valid_beepbox(song: Song) -> None:
    """Every value inside BeepBox's ranges, so that BeepBox's decoder takes the re-encoded song as is."""
    assert 1 <= song.pitch_channel_count <= bb.PITCH_CHANNEL_COUNT_MAX
    assert 0 <= song.noise_channel_count <= bb.NOISE_CHANNEL_COUNT_MAX
    assert len(song.channels) == song.channel_count
    assert 0 <= song.scale < len(bb.SCALE_NAMES) and 0 <= song.key < len(bb.KEY_NAMES)
    assert bb.TEMPO_MIN <= song.tempo <= bb.TEMPO_MAX
    assert bb.BEATS_PER_BAR_MIN <= song.beats_per_bar <= bb.BEATS_PER_BAR_MAX
    assert bb.BAR_COUNT_MIN <= song.bar_count <= bb.BAR_COUNT_MAX
    assert 1 <= song.patterns_per_channel <= bb.BAR_COUNT_MAX
    assert 0 <= song.rhythm < len(bb.RHYTHM_STEPS_PER_BEAT)
    assert 0 <= song.loop_start < song.bar_count and 1 <= song.loop_length <= song.bar_count - song.loop_start
    parts_per_bar = song.parts_per_bar
    for index, channel in enumerate(song.channels):
        noise = song.is_noise_channel(index)
        top = bb.DRUM_COUNT - 1 if noise else bb.MAX_PITCH
        assert 0 <= channel.octave < bb.PITCH_OCTAVES and (channel.octave == 0 or not noise)
        assert 1 <= len(channel.instruments) <= bb.PATTERN_INSTRUMENT_COUNT_MAX
        assert len(channel.bars) == song.bar_count
        assert all(0 <= b <= song.patterns_per_channel for b in channel.bars)
        assert len(channel.patterns) == song.patterns_per_channel
        for inst in channel.instruments:
            assert 0 <= inst.type < bb.INSTRUMENT_TYPE_COUNT
            assert (
                (inst.type in (bb.NOISE, bb.SPECTRUM, bb.DRUMSET))
                if noise
                else inst.type not in (bb.NOISE, bb.DRUMSET)
            )
            assert 0 <= inst.chip_wave < len(bb.CHIP_WAVE_NAMES) and 0 <= inst.chip_noise < len(
                bb.CHIP_NOISE_NAMES
            )
            assert 0 <= inst.volume < bb.VOLUME_RANGE and 0 <= inst.pan <= bb.PAN_MAX
            assert 0 <= inst.unison < len(bb.UNISON_NAMES) and 0 <= inst.vibrato < len(bb.VIBRATO_NAMES)
            assert 0 <= inst.chorus < bb.CHORUS_RANGE and 0 <= inst.reverb < bb.REVERB_RANGE
            assert 0 <= inst.detune <= bb.DETUNE_MAX and 0 <= inst.pulse_width < bb.PULSE_WIDTH_RANGE
            assert 0 <= inst.effects < (1 << bb.EFFECT_COUNT)
            assert len(inst.envelopes) <= bb.MAX_ENVELOPE_COUNT
            assert all(0 <= e.envelope < len(bb.ENVELOPE_NAMES) for e in inst.envelopes)
            assert all(0 <= e < len(bb.ENVELOPE_NAMES) for e in inst.drumset_envelopes)
            assert (
                len(inst.eq_filter) <= bb.FILTER_MAX_POINTS and len(inst.note_filter) <= bb.FILTER_MAX_POINTS
            )
        for pattern in channel.patterns:
            assert pattern.instruments and all(0 <= i < len(channel.instruments) for i in pattern.instruments)
            last_end = 0
            for note in pattern.notes:
                assert 1 <= len(note.pitches) <= bb.MAX_CHORD_SIZE and len(set(note.pitches)) == len(
                    note.pitches
                )
                assert last_end <= note.start < note.end <= parts_per_bar
                last_end = note.end
                assert note.pins[0].time == 0 and note.pins[-1].time == note.end - note.start
                assert all(a.time < b.time for a, b in zip(note.pins, note.pins[1:], strict=False))
                for pin in note.pins:
                    assert 0 <= pin.size <= bb.NOTE_SIZE_MAX
                    assert all(0 <= p + pin.interval <= top for p in note.pitches)


# --- comparison with JummBox's JSON export -------------------------------------------------------------
def _expected_size(volume: int) -> int:
    return note_size_to_bb(round(volume * jb.NOTE_SIZE_MAX / 100))


def _compare_note(note, ref: dict, steps: int, noise: bool, stats: dict) -> str | None:
    points = ref["points"]
    start_tick = points[0]["tick"]
    if abs(note.start * steps / 24 - start_tick) > 1e-9:
        return f"start {note.start} vs tick {start_tick}"
    if len(note.pins) != len(points):
        return f"{len(note.pins)} pins vs {len(points)} points"
    for pin, point in zip(note.pins, points, strict=False):
        if abs((note.start + pin.time) * steps / 24 - point["tick"]) > 1e-9:
            return f"pin time {pin.time} vs tick {point['tick']}"
        if pin.size != _expected_size(point["volume"]):
            return f"pin size {pin.size} vs volume {point['volume']}"
    if (ref.get("continuesLastPattern", False)) != note.continues_last_pattern:
        return "continuesLastPattern differs"
    ref_pitches = list(dict.fromkeys(ref["pitches"]))
    bends = [p["pitchBend"] for p in points]
    top = bb.DRUM_COUNT - 1 if noise else bb.MAX_PITCH
    fits = len(ref_pitches) <= bb.MAX_CHORD_SIZE and all(
        0 <= p + b <= top for p in ref_pitches for b in bends
    )
    if fits:
        if note.pitches != ref_pitches or [p.interval for p in note.pins] != bends:
            return f"pitches {note.pitches} vs {ref['pitches']}"
        return None
    # documented mapping: at most 4 pitches, moved together by whole octaves into BeepBox's range
    stats["mapped notes"] += 1
    shift = note.pitches[0] - ref_pitches[0]
    if shift % 12 or not set(p - shift for p in note.pitches) <= set(ref_pitches[: bb.MAX_CHORD_SIZE]):
        return f"mapped pitches {note.pitches} vs {ref['pitches']}"
    return None


def _compare_pattern(pattern, ref: dict, steps: int, noise: bool, stats: dict) -> str | None:
    ref_notes = ref["notes"]
    if len(pattern.notes) != len(ref_notes):
        return f"{len(pattern.notes)} notes vs {len(ref_notes)}"
    for n, (note, ref_note) in enumerate(zip(pattern.notes, ref_notes, strict=False)):
        problem = _compare_note(note, ref_note, steps, noise, stats)
        if problem:
            return f"note {n}: {problem}"
        stats["notes"] += 1
    return None


def _compare_instrument(inst, ref: dict) -> str | None:
    """The instrument settings that carry over: effects, envelopes, waves, filter points (as mapped)."""
    effects = sorted(bb.EFFECT_NAMES[b] for b in range(bb.EFFECT_COUNT) if inst.effects >> b & 1)
    if effects != sorted(ref.get("effects", [])):
        return f"effects {effects} vs {ref.get('effects')}"
    envelopes = [
        (bb.AUTOMATION_TARGET_NAMES[e.target], bb.ENVELOPE_NAMES[e.envelope]) for e in inst.envelopes
    ]
    # documented: an envelope on a note filter BeepBox holds no points of (a simple filter wide open) aims at none
    ref_envelopes = [
        (
            "none" if e["target"].startswith("noteFilter") and not inst.note_filter else e["target"],
            bb.ENVELOPE_NAMES[jb.ENVELOPE_TO_BB[jb.ENVELOPE_NAMES.index(e["envelope"])]],
        )
        for e in ref.get("envelopes", [])
    ]
    if envelopes != ref_envelopes:
        return f"envelopes {envelopes} vs {ref_envelopes}"
    if inst.type == bb.CHIP and ref.get("wave") in jb.CHIP_WAVE_NAMES:
        want = jb.CHIP_WAVE_TO_BB[jb.CHIP_WAVE_NAMES.index(ref["wave"])]
        if inst.chip_wave != want:
            return f"wave {bb.CHIP_WAVE_NAMES[inst.chip_wave]} vs {ref['wave']}"
    if (
        inst.type == bb.NOISE
        and ref.get("wave") in jb.CHIP_NOISE_NAMES
        and inst.chip_noise != jb.CHIP_NOISE_TO_BB[jb.CHIP_NOISE_NAMES.index(ref["wave"])]
    ):
        return f"noise {bb.CHIP_NOISE_NAMES[inst.chip_noise]} vs {ref['wave']}"
    for name, points, simple in (
        ("eqFilter", inst.eq_filter, "eqFilterType"),
        ("noteFilter", inst.note_filter, "noteFilterType"),
    ):
        if name == "noteFilter" and "note filter" not in ref.get("effects", []):
            continue
        if not ref.get(simple) and len(points) != len(ref.get(name) or []):
            return f"{name} {points} vs {ref.get(name)}"
    return None


def _busiest(channels: list[dict], limit: int, bar_count: int) -> list[dict]:
    """The documented choice where JummBox has more channels than BeepBox: those playing the most notes."""

    def played(channel):
        patterns = channel["patterns"]
        return sum(
            len(patterns[b - 1]["notes"])
            for b in channel["sequence"][:bar_count]
            if isinstance(b, int) and 0 < b <= len(patterns)
        )

    order = sorted(range(len(channels)), key=lambda i: (-played(channels[i]), i))[:limit]
    return [channels[i] for i in sorted(order)]


def compare_with_reference(song: Song, ref: dict, stats: dict) -> list[str]:
    problems = []

    def check(what, got, want):
        if got != want:
            problems.append(f"{what}: {got!r} != {want!r}")

    bar_count = min(sum(1 for _ in ref["channels"][0]["sequence"]), bb.BAR_COUNT_MAX)
    check("key", bb.KEY_NAMES[song.key], ref["key"])
    check("scale", song.scale, jb.SCALE_TO_BB[jb.SCALE_NAMES.index(ref["scale"])])
    check("beatsPerBar", song.beats_per_bar, ref["beatsPerBar"])
    check("ticksPerBeat", bb.RHYTHM_STEPS_PER_BEAT[song.rhythm], ref["ticksPerBeat"])
    check("beatsPerMinute", song.tempo, min(ref["beatsPerMinute"], bb.TEMPO_MAX))
    check("bar count", song.bar_count, bar_count)
    check("introBars", song.loop_start, min(ref["introBars"], bar_count - 1))
    check("loopBars", song.loop_length, max(1, min(ref["loopBars"], bar_count - song.loop_start)))
    pitch = _busiest(
        [c for c in ref["channels"] if c["type"] == "pitch"], bb.PITCH_CHANNEL_COUNT_MAX, bar_count
    )
    drums = _busiest(
        [c for c in ref["channels"] if c["type"] == "drum"], bb.NOISE_CHANNEL_COUNT_MAX, bar_count
    )
    check("pitch channels", song.pitch_channel_count, len(pitch))
    check("noise channels", song.noise_channel_count, len(drums))
    steps = ref["ticksPerBeat"]
    for index, ref_channel in enumerate(pitch + drums):
        if index >= len(song.channels):
            break
        noise = index >= len(pitch)
        channel = song.channels[index]
        where = f"channel {index}"
        if not noise:
            check(
                f"{where} octave",
                channel.octave,
                min(ref_channel["octaveScrollBar"] + 1, bb.PITCH_OCTAVES - 1),
            )
        ref_patterns = ref_channel["patterns"]
        check(
            f"{where} instrument types",
            [bb.INSTRUMENT_TYPE_NAMES[i.type] for i in channel.instruments],
            [JB_TYPE_TO_BB_NAME.get(i["type"], i["type"]) for i in ref_channel["instruments"]],
        )
        for i, (inst, ref_inst) in enumerate(
            zip(channel.instruments, ref_channel["instruments"], strict=False)
        ):
            problem = _compare_instrument(inst, ref_inst)
            if problem:
                problems.append(f"{where} instrument {i}: {problem}")
            stats["instruments"] += 1
        sequence = [
            b if isinstance(b, int) and 0 <= b <= len(ref_patterns) else 0
            for b in ref_channel["sequence"][:bar_count]
        ]
        if len(ref_patterns) <= bb.BAR_COUNT_MAX:
            check(f"{where} sequence", channel.bars, sequence)
            for p, ref_pattern in enumerate(ref_patterns):
                problem = _compare_pattern(channel.patterns[p], ref_pattern, steps, noise, stats)
                if problem:
                    problems.append(f"{where} pattern {p + 1}: {problem}")
                stats["patterns"] += 1
        # what plays in every bar, however the patterns are numbered
        for bar, number in enumerate(sequence):
            played = song.pattern_at(index, bar)
            if number == 0:
                if played is not None and played.notes:
                    problems.append(f"{where} bar {bar}: notes where JummBox plays none")
                continue
            problem = (
                _compare_pattern(played, ref_patterns[number - 1], steps, noise, stats)
                if played
                else "silent"
            )
            if problem:
                problems.append(f"{where} bar {bar}: {problem}")
    return problems


def test_reference_musical_content(jummbox_reference_records):
    records = _ok(jummbox_reference_records)
    assert records, "no JummBox reference songs"
    stats = {
        "songs": 0,
        "instruments": 0,
        "patterns": 0,
        "notes": 0,
        "mapped notes": 0,
        "mod channels dropped": 0,
    }
    failures = {}
    for n, record in enumerate(records):
        song = parse_jummbox(record["data"])
        assert_valid_beepbox(song)
        problems = compare_with_reference(song, record["json"], stats)
        stats["songs"] += 1
        stats["mod channels dropped"] += sum(c["type"] == "mod" for c in record["json"]["channels"])
        if problems:
            failures[n] = problems[:5]
    print(f"\nJummBox reference: {stats['songs'] - len(failures)}/{stats['songs']} songs match; {stats}")
    assert not failures, failures


def test_reencodes_to_an_equal_beepbox_song(jummbox_reference_records):
    for record in _ok(jummbox_reference_records):
        song = parse_jummbox(record["data"])
        url = song.to_url()
        assert url[0] == "9"
        assert parse_song(url) == song


# --- entry points and mappings ---------------------------------------------------------------------------
def test_forms_of_the_string(jummbox_reference_records):
    data = _ok(jummbox_reference_records)[0]["data"]
    song = parse_jummbox(data)
    assert parse_jummbox("#" + data) == song
    assert parse_jummbox(f"  https://jummb.us/#{data}\n") == song
    assert parse_song(data) == song
    assert is_jummbox("#" + data) and not is_jummbox("9n31s0k0")


def test_mod_channels_are_dropped(jummbox_reference_records):
    with_mods = [
        r for r in _ok(jummbox_reference_records) if any(c["type"] == "mod" for c in r["json"]["channels"])
    ]
    assert with_mods
    for record in with_mods:
        raw = read_jummbox(record["data"])
        assert raw.mod_channel_count > 0
        song = parse_jummbox(record["data"])
        assert song.pitch_channel_count == min(raw.pitch_channel_count, bb.PITCH_CHANNEL_COUNT_MAX)
        assert song.noise_channel_count == min(raw.noise_channel_count, bb.NOISE_CHANNEL_COUNT_MAX)


def test_mappings():
    assert [note_size_to_bb(s) for s in range(8)] == [0, 1, 1, 2, 2, 3, 3, 3]
    names = dict(zip(jb.SCALE_NAMES, (bb.SCALE_NAMES[i] for i in jb.SCALE_TO_BB), strict=False))
    assert names["Free"] == "expert" and names["Major"] == "normal :)" and names["Minor"] == "normal :("
    assert names["Major Pentatonic"] == "easy :)" and names["Blues"] == "blues :("
    assert names["Whole Tone"] == "strange" and names["Lydian"] == "expert"
    assert (
        jb.volume_to_bb(0) == 0 and jb.volume_to_bb(-25) == bb.VOLUME_RANGE - 1 and jb.volume_to_bb(25) == 0
    )
    assert jb.volume_to_bb(-21) == 6
    assert jb.pan_to_bb(50) == bb.PAN_CENTER and jb.pan_to_bb(0) == 0 and jb.pan_to_bb(100) == bb.PAN_MAX
    assert jb.detune_to_bb(200) == bb.DETUNE_CENTER and jb.detune_to_bb(0) == 0 and jb.detune_to_bb(400) == 18
    assert jb.pulse_width_to_bb(50) == bb.PULSE_WIDTH_RANGE - 1
    assert all(bb.CHIP_WAVE_NAMES[jb.CHIP_WAVE_TO_BB[i]] == name for i, name in enumerate(bb.CHIP_WAVE_NAMES))


def test_tempo_above_beepbox_max_is_clamped(jummbox_reference_records):
    fast = [r for r in _ok(jummbox_reference_records) if r["json"]["beatsPerMinute"] > bb.TEMPO_MAX]
    assert fast
    for record in fast:
        assert read_jummbox(record["data"]).tempo == record["json"]["beatsPerMinute"]
        assert parse_jummbox(record["data"]).tempo == bb.TEMPO_MAX


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("", 0),
        ("j", 1),
        ("j7n31", 1),  # a version JummBox does not know
        ("9n31s0", 0),  # not a JummBox string
        ("j6n3", 4),  # ends inside the channel counts
        ("j6n310s0k0!", 10),  # unknown tag
        ("j6n%10", 2),  # "%" reads as 0 (as in JummBox): no pitch channels
        ("j6n310r7", 7),  # a rhythm JummBox does not know
    ],
)
def test_bad_strings_name_a_position(text, where):
    with pytest.raises(BeepBoxFormatError) as info:
        parse_jummbox(text)
    assert info.value.position == where, info.value


def test_truncated_songs_fail_cleanly(jummbox_reference_records):
    """A cut song decodes (what it holds is whole: JummBox reads missing pattern bits as zeros too) or fails
    naming a position inside what is left; cut inside a setting, it fails right there."""
    data = max((r["data"] for r in _ok(jummbox_reference_records)), key=len)
    for cut in range(2, len(data), max(1, len(data) // 25)):
        try:
            assert_valid_beepbox(parse_jummbox(data[:cut]))
        except BeepBoxFormatError as error:
            assert error.position is not None and 0 <= error.position <= cut
    tempo = data.index("t", data.index("n"))  # the tempo tag: two characters follow
    with pytest.raises(BeepBoxFormatError) as info:
        parse_jummbox(data[: tempo + 2])
    assert info.value.position == tempo + 2
    patterns = data.rindex("p")
    with pytest.raises(BeepBoxFormatError) as info:
        parse_jummbox(data[: patterns + 1])
    assert info.value.position == patterns + 1


# --- fuzzing ---------------------------------------------------------------------------------------------
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_.%!~é\u2603 "


@pytest.fixture(scope="module")
def seed_strings(jummbox_reference_records) -> list[str]:
    return sorted({r["data"] for r in jummbox_reference_records}, key=len)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_mutated_strings_raise_only_format_errors(seed_strings, data):
    text = data.draw(st.sampled_from(seed_strings))
    for _ in range(data.draw(st.integers(0, 4))):
        kind = data.draw(st.sampled_from(["cut", "replace", "insert", "delete"]))
        at = data.draw(st.integers(0, max(0, len(text) - 1)))
        char = data.draw(st.sampled_from(_ALPHABET))
        if kind == "cut":
            text = text[:at]
        elif kind == "replace":
            text = text[:at] + char + text[at + 1 :]
        elif kind == "insert":
            text = text[:at] + char + text[at:]
        else:
            text = text[:at] + text[at + 1 :]
    try:
        song = parse_jummbox(text)
    except BeepBoxFormatError as error:
        assert error.position is not None and 0 <= error.position <= len(text), error
    else:
        assert_valid_beepbox(song)
        assert parse_song(song.to_url()) == song


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=200))
def test_fuzz_random_strings(text):
    with contextlib.suppress(BeepBoxFormatError):
        assert_valid_beepbox(parse_jummbox("j" + text))


# --- mappings past BeepBox's limits (songs built as JummBox holds them) -----------------------------------
def _jb_song(bars: int, patterns: int, pitch: int = 1, noise: int = 0):
    from beepbrain.format.jummbox_state import JBChannel, JBInstrument, JBNote, JBPattern, JBSong

    song = JBSong(
        bar_count=bars,
        patterns_per_channel=patterns,
        pitch_channel_count=pitch,
        noise_channel_count=noise,
        loop_start=0,
        loop_length=bars,
    )
    for index in range(pitch + noise):
        channel = JBChannel(octave=3, instruments=[JBInstrument(jb.NOISE if index >= pitch else jb.CHIP)])
        for p in range(patterns):
            # pattern p+1 holds one note whose pitch tells which pattern it is
            channel.patterns.append(
                JBPattern(
                    notes=[JBNote([p % 12 if index >= pitch else p % 80], 0, 24, [(0, 0, 6), (0, 24, 6)])]
                )
            )
        channel.bars = [(b % patterns) + 1 for b in range(bars)]
        song.channels.append(channel)
    return song


def test_more_bars_and_patterns_than_beepbox_holds():
    from beepbrain.format.jummbox_convert import to_beepbox

    raw = _jb_song(bars=256, patterns=200)
    raw.channels[0].bars[5] = 0
    song = to_beepbox(raw)
    assert_valid_beepbox(song)
    assert song.bar_count == bb.BAR_COUNT_MAX and song.loop_length == bb.BAR_COUNT_MAX
    # only the patterns bars 1-128 play survive, renumbered; every bar still plays what JummBox plays
    assert song.patterns_per_channel == 127
    for bar in range(song.bar_count):
        played = song.pattern_at(0, bar)
        if bar == 5:
            assert played is None
        else:
            assert played.notes[0].pitches == [bar % 80]


def test_busiest_channels_kept_and_sequence_out_of_range():
    from beepbrain.format.jummbox_convert import to_beepbox

    raw = _jb_song(bars=4, patterns=2, pitch=12, noise=7)
    for index in (0, 3, 13):  # silence three channels: they are the ones left out
        raw.channels[index].bars = [0] * 4
    raw.channels[1].bars[2] = 3  # a pattern the channel does not have: silent
    raw.scale, raw.tempo, raw.loop_start, raw.loop_length = 25, 320, 9, 9
    song = to_beepbox(raw)
    assert_valid_beepbox(song)
    assert (song.pitch_channel_count, song.noise_channel_count) == (10, 5)
    assert song.channels[0].bars == [1, 2, 0, 2]  # JummBox channel 1
    assert song.scale == jb.BB_EXPERT and song.tempo == bb.TEMPO_MAX
    assert (song.loop_start, song.loop_length) == (3, 1)
    raw.rhythm = 7
    with pytest.raises(BeepBoxFormatError, match="rhythm"):
        to_beepbox(raw)


def test_high_notes_move_down_by_octaves():
    from beepbrain.format.jummbox_convert import to_beepbox
    from beepbrain.format.jummbox_state import JBNote

    raw = _jb_song(bars=1, patterns=1)
    pattern = raw.channels[0].patterns[0]
    pattern.notes = [
        JBNote([90, 94, 80, 91, 92, 93], 0, 24, [(0, 0, 1), (2, 24, 4)]),
        JBNote([0, 90], 24, 48, [(0, 0, 6), (0, 24, 6)]),  # wider than BeepBox's range
        JBNote([10**9 + 5], 48, 72, [(0, 0, 6), (-3, 24, 0)]),
    ]  # absurd, but no slow path
    song = to_beepbox(raw)
    assert_valid_beepbox(song)
    first, wide, absurd = song.channels[0].patterns[0].notes
    assert first.pitches == [78, 82, 68, 79] and [(p.interval, p.size) for p in first.pins] == [
        (0, 1),
        (2, 2),
    ]
    assert wide.pitches == [0]
    assert (absurd.pitches[0] - 10**9 - 5) % 12 == 0 and absurd.pitches[0] + 3 >= 84 - 12


def test_same_song_as_jummboxs_own_reencoding(jummbox_reference_records):
    """A song and JummBox's re-encoding of it (format version 6) decode to the same BeepBox song; for old
    strings (versions 1-4) all but the filters and the envelopes aimed at them, which JummBox re-encodes as
    simple filters and BeepBox's upgrade of the old settings approximates differently."""
    old = 0
    for record in _ok(jummbox_reference_records):
        song, latest = parse_jummbox(record["data"]), parse_jummbox(record["url_latest"])
        if read_jummbox(record["data"]).version < 5:
            old += 1
            filter_targets = (
                bb.AUTOMATION_TARGET_INDEX["none"],
                bb.AUTOMATION_TARGET_INDEX["noteFilterAllFreqs"],
            )
            for channel in song.channels + latest.channels:
                for inst in channel.instruments:
                    inst.eq_filter, inst.note_filter = [], []
                    inst.envelopes = [e for e in inst.envelopes if e.target not in filter_targets]
        assert song == latest, record["data"][:60]
    assert old > 0
