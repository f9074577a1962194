"""`beepbrain song`: look inside one BeepBox song, convert it to BeepBox JSON, a version-9 URL or a MIDI file
(`to-midi`), draw it as a piano roll (`show`), or make one from a MIDI file (`from-midi`).

SONG is a song string, a BeepBox URL, a file holding either (or BeepBox JSON), or `-` for standard input.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

EDITOR_URL = "https://www.beepbox.co/#"
EXIT_BAD_INPUT = 2


class SongInputError(Exception):
    """SONG could not be read or decoded; the message says why."""


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "song",
        help="inspect a BeepBox song, convert it to JSON, a URL or MIDI, or draw it",
        description=__doc__,
    )
    sub = p.add_subparsers(dest="song_command", metavar="ACTION")
    sub.required = True
    song_help = "a song string, a BeepBox URL, a file holding one (or BeepBox JSON), or - for stdin"

    info = sub.add_parser("info", help="a summary: tempo, key, scale, rhythm, bars, channels, notes")
    info.add_argument("song", metavar="SONG", help=song_help)
    info.set_defaults(func=handle_info)

    to_json = sub.add_parser("to-json", help="BeepBox's JSON export of the song, to stdout")
    to_json.add_argument("song", metavar="SONG", help=song_help)
    to_json.add_argument("--compact", action="store_true", help="one line instead of indented")
    to_json.set_defaults(func=handle_to_json)

    to_url = sub.add_parser("to-url", help="the song as a BeepBox editor URL (version-9 song string)")
    to_url.add_argument("song", metavar="SONG", help=song_help)
    to_url.add_argument("--bare", action="store_true", help="print only the song string, without the URL")
    to_url.set_defaults(func=handle_to_url)

    to_midi = sub.add_parser(
        "to-midi",
        help="write the song as a MIDI file (a track per channel, General MIDI programs from the "
        "instruments' presets, drums on channel 10); prints the file's path",
    )
    to_midi.add_argument("song", metavar="SONG", help=song_help)
    to_midi.add_argument("--out", metavar="FILE.mid", required=True, help="the MIDI file to write")
    to_midi.set_defaults(func=handle_to_midi)

    show = sub.add_parser(
        "show",
        help="draw the song as a piano roll (PNG): pitch channels, drum lanes, the bar sequence; "
        "prints the file's path",
    )
    show.add_argument("song", metavar="SONG", help=song_help)
    show.add_argument("--out", metavar="FILE.png", required=True, help="the PNG file to write")
    show.add_argument(
        "--title",
        default=None,
        help="a title before the tempo, key and bars (default: the file's name where SONG is a file)",
    )
    show.add_argument("--dpi", type=int, default=100, help="pixels per inch (default 100)")
    show.set_defaults(func=handle_show)

    from_midi = sub.add_parser(
        "from-midi", help="convert a MIDI file to a BeepBox song: prints its URL, the import report to stderr"
    )
    from_midi.add_argument("midi", metavar="FILE.mid", help="a Standard MIDI File (type 0 or 1)")
    from_midi.add_argument(
        "--rhythm",
        type=int,
        choices=range(5),
        metavar="R",
        default=None,
        help="0 triplets, 1 standard (÷4), 2 ÷6, 3 ÷8, 4 freehand "
        "(default: the coarsest grid that holds the file's notes)",
    )
    from_midi.add_argument(
        "--beats-per-bar",
        type=int,
        metavar="B",
        default=None,
        help="3-16 quarter-note beats per bar (default: from the file's time signature)",
    )
    from_midi.add_argument(
        "--out", metavar="F.json", default=None, help="also write BeepBox JSON to this file"
    )
    from_midi.add_argument("--json-report", action="store_true", help="print the import report as JSON")
    from_midi.set_defaults(func=handle_from_midi)


# ---------------------------------------------------------------------------------------------------------
# Reading SONG


def read_song_text(arg: str) -> str:
    """The text SONG names: standard input for `-`, a file's contents where SONG is a file, else SONG."""
    if arg == "-":
        data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode("utf-8")
        return _decode(data, "standard input")
    if _is_file(arg):
        try:
            with open(arg, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            raise SongInputError(f"cannot read {arg}: {exc.strerror or exc}") from None
        return _decode(data, arg)
    if _looks_like_path(arg):
        raise SongInputError(f"no such file: {arg}")
    return arg


def _looks_like_path(arg: str) -> bool:
    """A file name rather than a song: song strings hold no slashes, and URLs hold '://' or '#'."""
    if "#" in arg or "://" in arg or arg.lstrip().startswith("{"):
        return False
    return "/" in arg or "\\" in arg or os.path.splitext(arg)[1].lower() in (".txt", ".json", ".url")


def _is_file(arg: str) -> bool:
    if not arg or len(arg) > 4096 or "\n" in arg or arg.lstrip().startswith("{"):
        return False
    try:
        return os.path.isfile(arg)
    except (OSError, ValueError):
        return False


def _decode(data: bytes, where: str) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SongInputError(f"{where} is not UTF-8 text (byte {exc.start})") from None
    if not text.strip():
        raise SongInputError(f"{where} is empty")
    return text


def load(arg: str):
    """(Song, source format description) for SONG; SongInputError when it cannot be read or decoded."""
    from beepbrain.format import BeepBoxFormatError, parse_song
    from beepbrain.format.parse import song_string

    text = read_song_text(arg)
    try:
        song = parse_song(text)
        source = describe_source(song_string(text))
    except BeepBoxFormatError as exc:
        shown = arg if len(arg) <= 60 else arg[:57] + "..."
        raise SongInputError(f"{shown}: {exc}") from None
    return song, source


def describe_source(s: str) -> str:
    """Which format and version the song string (or JSON text) is in."""
    from beepbrain.format.base64 import CODE_TO_INT

    def value(ch: str) -> int:
        return CODE_TO_INT[ord(ch)] if ord(ch) < 128 else -1

    if s.startswith("{"):
        try:
            obj = json.loads(s)
            version = obj.get("version", "?") if isinstance(obj, dict) else "?"
            fmt = obj.get("format", "BeepBox") if isinstance(obj, dict) else "BeepBox"
        except ValueError:
            version, fmt = "?", "BeepBox"
        return f"{fmt} JSON, version {version}"
    if s.startswith("j") and len(s) > 1:
        return f"JummBox URL, version {value(s[1])}"
    return f"BeepBox URL, version {value(s[0])}" if s else "BeepBox URL"


# ---------------------------------------------------------------------------------------------------------
# Actions


def _run(action, args: argparse.Namespace) -> int:
    try:
        song, source = load(args.song)
        text = action(song, source, args)
    except SongInputError as exc:
        print(f"beepbrain song: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    _write(text)
    return 0


def _write(text: str) -> None:
    try:
        sys.stdout.write(text + "\n")
    except UnicodeEncodeError:  # a terminal without UTF-8: send the bytes
        sys.stdout.flush()
        sys.stdout.buffer.write((text + "\n").encode("utf-8"))
    sys.stdout.flush()


def handle_info(args: argparse.Namespace) -> int:
    return _run(lambda song, source, _: summary(song, source), args)


def handle_to_json(args: argparse.Namespace) -> int:
    def action(song, _source, a):
        obj = song.to_json()
        return (
            json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
            if a.compact
            else json.dumps(obj, ensure_ascii=False, indent=2)
        )

    return _run(action, args)


def handle_to_url(args: argparse.Namespace) -> int:
    return _run(lambda song, _source, a: song.to_url() if a.bare else EDITOR_URL + song.to_url(), args)


def handle_to_midi(args: argparse.Namespace) -> int:
    def action(song, _source, a):
        from beepbrain.midi.write import write_midi

        try:
            path = write_midi(song, a.out)
        except OSError as exc:
            raise SongInputError(f"cannot write {a.out}: {exc.strerror or exc}") from None
        print(midi_summary(song), file=sys.stderr)
        return str(path)

    return _run(action, args)


def handle_show(args: argparse.Namespace) -> int:
    def action(song, _source, a):
        from beepbrain.generate.pianoroll import save_piano_roll

        if not 10 <= a.dpi <= 600:
            raise SongInputError(f"--dpi must be 10-600, not {a.dpi}")
        title = a.title if a.title is not None else (os.path.basename(a.song) if _is_file(a.song) else None)
        try:
            path = save_piano_roll(song, a.out, title=title, dpi=a.dpi)
        except OSError as exc:
            raise SongInputError(f"cannot write {a.out}: {exc.strerror or exc}") from None
        return str(path)

    return _run(action, args)


def midi_summary(song) -> str:
    """One line on what `to-midi` wrote: tracks, notes, and the program of each pitch channel's instruments."""
    from beepbrain.format import config as c
    from beepbrain.midi.presets import preset_name, preset_program
    from beepbrain.midi.write import channel_events, instrument_program

    def label(inst) -> str:
        name = preset_name(inst.preset) if preset_program(inst.preset) is not None else None
        return f"{name or c.INSTRUMENT_TYPE_NAMES[inst.type]} {instrument_program(inst)}"

    notes = sum(len(channel_events(song, index)) for index in range(song.channel_count))
    programs = []
    for index in range(song.pitch_channel_count):
        labels = list(dict.fromkeys(label(inst) for inst in song.channels[index].instruments))
        more = f" +{len(labels) - 3} more" if len(labels) > 3 else ""
        programs.append(f"{index + 1} {' / '.join(labels[:3])}{more}")
    drums = f", {song.noise_channel_count} drum on channel 10" if song.noise_channel_count else ""
    return (
        f"{song.channel_count} tracks ({song.pitch_channel_count} pitch{drums}), {notes} notes, "
        f"{song.bar_count} bars at {song.tempo} bpm; programs: {', '.join(programs)}"
    )


def handle_from_midi(args: argparse.Namespace) -> int:
    from beepbrain.midi import MidiImportError, midi_to_song

    try:
        song, report = midi_to_song(args.midi, rhythm=args.rhythm, beats_per_bar=args.beats_per_bar)
    except MidiImportError as exc:
        print(f"beepbrain song from-midi: {args.midi}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.out:
        try:
            with open(args.out, "w", encoding="utf-8") as fh:
                json.dump(song.to_json(), fh, ensure_ascii=False, indent=2)
        except OSError as exc:
            print(
                f"beepbrain song from-midi: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr
            )
            return EXIT_BAD_INPUT
    print(json.dumps(report.as_dict()) if args.json_report else report.summary(), file=sys.stderr)
    _write(EDITOR_URL + song.to_url())
    return 0


def summary(song, source: str) -> str:
    """A human summary of ``song``."""
    from beepbrain.format import config as c

    steps = c.RHYTHM_STEPS_PER_BEAT[song.rhythm]
    loop_end = song.loop_start + song.loop_length
    lines = [
        f"format      {source}",
        f"tempo       {song.tempo} bpm",
        f"key         {c.KEY_NAMES[song.key]}",
        f"scale       {c.SCALE_NAMES[song.scale]}",
        f"rhythm      {c.RHYTHM_NAMES[song.rhythm]} ({steps} steps per beat)",
        f"beats/bar   {song.beats_per_bar}",
        f"bars        {song.bar_count}",
        f"loop        bars {song.loop_start + 1}-{loop_end} ({song.loop_length} bars)",
        f"channels    {song.channel_count} ({song.pitch_channel_count} pitch, {song.noise_channel_count} drum)",
    ]
    flags = [
        name
        for name, on in (("layered", song.layered_instruments), ("per-pattern", song.pattern_instruments))
        if on
    ]
    if flags:
        lines.append(f"instruments {', '.join(flags)}")
    lines.append("")
    lines.append(
        f"{'#':>3}  {'kind':5}  {'octave':>6}  {'instruments':28}  {'patterns':>8}  {'notes':>6}  {'played':>6}"
    )
    total_notes = total_played = 0
    for index, channel in enumerate(song.channels[: song.channel_count]):
        is_noise = song.is_noise_channel(index)
        kinds = ", ".join(c.INSTRUMENT_TYPE_NAMES[inst.type] for inst in channel.instruments)
        used = sum(1 for p in channel.patterns if p.notes)
        notes = sum(len(p.notes) for p in channel.patterns)
        played = sum(
            len(p.notes) for bar in range(song.bar_count) if (p := song.pattern_at(index, bar)) is not None
        )
        total_notes += notes
        total_played += played
        octave = "-" if is_noise else str(channel.octave)
        lines.append(
            f"{index + 1:>3}  {'drum' if is_noise else 'pitch':5}  {octave:>6}  {kinds:28}  "
            f"{used:>8}  {notes:>6}  {played:>6}"
        )
    lines.append("")
    lines.append(f"notes       {total_notes} in patterns, {total_played} played through the bar sequence")
    return "\n".join(lines)
