"""A song drawn as a piano roll (a PNG, matplotlib's Agg canvas), and piano rolls logged to an MLflow run.

One figure, three panels sharing the time axis (x in bars, bar 1 at 0, a line at every bar, the loop
shaded): at the top the bar sequence, one row per channel with the number of the pattern it plays in each bar
(blank: silent); in the middle the pitch channels, y the sounding MIDI note (key and pitch shift applied, as
``beepbrain.midi.write`` plays it), each channel in its own colour (``PITCH_COLORS``), a note's thickness its
volume and its slope its bends; below, each drum channel in a lane of its own (BeepBox's 12 drums, low to
high) in the drum colours (``DRUM_COLORS``). The title gives tempo, key, scale, beats per bar and bars.

    save_piano_roll(song, "song.png", title="my song")
    log_piano_rolls(client, run_id, [("song-01", song), ...])   # PNGs as the run's artifacts
    log_generated_piano_rolls(client, run_id, rows)              # `beepbrain generate`'s songs (the first 8)
    log_eval_piano_rolls(client, run_id, generated, test)        # evaluation: model songs beside test songs
"""

from __future__ import annotations

import re
import tempfile
import types
from collections.abc import Iterable
from pathlib import Path

from beepbrain.format import config as c
from beepbrain.format.song import DRUM_COUNT, Song

# Pitch channels 1-10 (matplotlib's tab10, teal for its grey) and drum channels 1-5 (tab20b's darkest). No
# grey: black text's antialiasing makes greys, so every channel's colour is found only where it is drawn.
PITCH_COLORS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#00897b",
    "#bcbd22",
    "#17becf",
)
DRUM_COLORS = ("#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173")
BAR_LINE, LOOP_SHADE = "#d9d9d9", "#fff7d9"
DPI = 100
GENERATED_LIMIT = 8  # songs of one `beepbrain generate` drawn into the MLflow run at most (~0.8 s each)
EVAL_LIMIT = 4  # generated and test songs of one evaluation drawn, each


def channel_color(song: Song, channel: int) -> str:
    """The colour ``channel`` of ``song`` is drawn in."""
    if song.is_noise_channel(channel):
        return DRUM_COLORS[(channel - song.pitch_channel_count) % len(DRUM_COLORS)]
    return PITCH_COLORS[channel % len(PITCH_COLORS)]


def channel_label(song: Song, channel: int) -> str:
    """``3 flute``: the channel's number and its first instrument (its preset's name, else its type)."""
    from beepbrain.midi.presets import preset_name, preset_program

    instruments = song.channels[channel].instruments
    if not instruments:
        return str(channel + 1)
    inst = instruments[0]
    name = preset_name(inst.preset) if preset_program(inst.preset) is not None else None
    return f"{channel + 1} {name or c.INSTRUMENT_TYPE_NAMES[inst.type]}"


def _note_polygons(song: Song, channel: int, lane_base: int | None = None) -> list[list[tuple[float, float]]]:
    """One polygon per played pitch: its pins' times across, pitch + bend up, thickness by volume."""
    from beepbrain.midi.write import midi_pitch, played_patterns

    ppb = song.parts_per_bar
    polygons = []
    for bar, pattern, shift in played_patterns(song, channel):
        for note in pattern.notes:
            if min(note.end, ppb) <= note.start:
                continue
            pins = note.pins or []
            points = [(min(note.start + pin.time, ppb), pin.interval, pin.size) for pin in pins]
            points = [p for i, p in enumerate(points) if i == 0 or p[0] > points[i - 1][0]]
            if len(points) < 2:
                points = [(note.start, 0, c.NOTE_SIZE_MAX), (min(note.end, ppb), 0, c.NOTE_SIZE_MAX)]
            for pitch in note.pitches:
                y = lane_base + pitch if lane_base is not None else midi_pitch(song, channel, pitch, shift)
                top, bottom = [], []
                for time, interval, size in points:
                    half = 0.18 + 0.27 * size / c.NOTE_SIZE_MAX
                    x = bar + time / ppb
                    top.append((x, y + interval + half))
                    bottom.append((x, y + interval - half))
                polygons.append(top + bottom[::-1])
    return polygons


def _pitch_range(song: Song, polygons: list[list[tuple[float, float]]]) -> tuple[float, float]:
    ys = [y for poly in polygons for _, y in poly]
    if not ys:
        return 12 + song.key + 24 - 0.5, 12 + song.key + 60 + 0.5  # an empty song: three octaves
    low, high = min(ys), max(ys)
    pad = max(2.0, (high - low) * 0.05)
    return low - pad, high + pad


def _bar_ticks(bars: int) -> list[int]:
    step = next(s for s in (1, 2, 4, 8, 16, 32) if bars / s <= 32)
    return list(range(0, bars, step))


def piano_roll_figure(song: Song, title: str | None = None, dpi: int = DPI):
    """The piano roll of ``song`` as a matplotlib ``Figure`` on an Agg canvas (no pyplot, no global state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import PolyCollection
    from matplotlib.figure import Figure

    bars = max(1, song.bar_count)
    pitch_channels = range(song.pitch_channel_count)
    drum_channels = range(song.pitch_channel_count, song.channel_count)
    heights = [0.22 * song.channel_count + 0.25, 4.0]
    if song.noise_channel_count:
        heights.append(0.5 * song.noise_channel_count + 0.2)
    width = min(40.0, max(8.0, 3.0 + 0.32 * bars))
    fig = Figure(figsize=(width, sum(heights) + 1.1), dpi=dpi)
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(heights), 1, sharex=True, gridspec_kw={"height_ratios": heights, "hspace": 0.08})
    seq_ax, roll_ax = axes[0], axes[1]
    drum_ax = axes[2] if song.noise_channel_count else None

    for ax in axes:
        ax.set_xlim(0, bars)
        for bar in range(1, bars):
            ax.axvline(bar, color=BAR_LINE, linewidth=0.6, zorder=0)
        ax.tick_params(labelsize=7)
    loop_end = min(bars, song.loop_start + song.loop_length)
    if song.loop_length and song.loop_start < bars:
        roll_ax.axvspan(song.loop_start, loop_end, color=LOOP_SHADE, zorder=-1, linewidth=0)

    # The bar sequence: row r is channel r, top down; each cell the pattern number.
    seq_ax.set_ylim(song.channel_count, 0)
    cell_points = width * 72 / bars * 0.9
    font = max(3.0, min(7.0, cell_points * 0.45))
    for index in range(song.channel_count):
        color = channel_color(song, index)
        bars_played = song.channels[index].bars
        for bar in range(min(bars, len(bars_played))):
            number = bars_played[bar]
            if number <= 0:
                continue
            seq_ax.add_patch(_cell(bar, index, color))
            seq_ax.text(
                bar + 0.5, index + 0.5, str(number), ha="center", va="center", fontsize=font, color="black"
            )
    seq_ax.set_yticks(
        [i + 0.5 for i in range(song.channel_count)],
        [channel_label(song, i) for i in range(song.channel_count)],
    )
    for index, label in enumerate(seq_ax.get_yticklabels()):
        label.set_color(channel_color(song, index))
    seq_ax.tick_params(axis="y", length=0, labelsize=6)
    seq_ax.set_ylabel("patterns", fontsize=7)

    # Pitch channels.
    all_polygons = []
    for index in pitch_channels:
        polygons = _note_polygons(song, index)
        all_polygons.extend(polygons)
        if polygons:
            roll_ax.add_collection(
                PolyCollection(
                    polygons,
                    facecolors=channel_color(song, index),
                    edgecolors="none",
                    antialiaseds=False,
                    zorder=2,
                )
            )
    low, high = _pitch_range(song, all_polygons)
    roll_ax.set_ylim(low, high)
    octaves = [n for n in range(0, 128, 12) if low <= n <= high]
    roll_ax.set_yticks(octaves, [f"C{n // 12 - 1}" for n in octaves])
    roll_ax.grid(axis="y", color=BAR_LINE, linewidth=0.4)
    roll_ax.set_axisbelow(True)
    roll_ax.set_ylabel("pitch", fontsize=7)

    # Drum channels: lane j (top down) holds drum channel j's 12 drums, low to high.
    if drum_ax is not None:
        lanes = song.noise_channel_count
        for lane, index in enumerate(drum_channels):
            base = (lanes - 1 - lane) * DRUM_COUNT
            polygons = _note_polygons(song, index, lane_base=base)
            if polygons:
                drum_ax.add_collection(
                    PolyCollection(
                        polygons,
                        facecolors=channel_color(song, index),
                        edgecolors="none",
                        antialiaseds=False,
                        zorder=2,
                    )
                )
            if lane:
                drum_ax.axhline(base + DRUM_COUNT - 0.5, color="#999999", linewidth=0.6)
        drum_ax.set_ylim(-0.5, lanes * DRUM_COUNT - 0.5)
        drum_ax.set_yticks(
            [(lanes - 1 - lane) * DRUM_COUNT + DRUM_COUNT / 2 - 0.5 for lane in range(lanes)],
            [channel_label(song, index) for index in drum_channels],
        )
        for lane, label in enumerate(drum_ax.get_yticklabels()):
            label.set_color(channel_color(song, song.pitch_channel_count + lane))
        drum_ax.tick_params(axis="y", length=0, labelsize=6)
        drum_ax.set_ylabel("drums", fontsize=7)

    bottom = axes[-1]
    ticks = _bar_ticks(bars)
    bottom.set_xticks(ticks, [str(t + 1) for t in ticks])
    bottom.set_xlabel("bar", fontsize=7)
    fig.suptitle(f"{title + ': ' if title else ''}{describe(song)}", fontsize=9)
    fig.subplots_adjust(
        left=max(0.04, 0.9 / width),
        right=1 - 0.25 / width,
        top=1 - 0.45 / (sum(heights) + 1.1),
        bottom=0.45 / (sum(heights) + 1.1),
    )
    return fig


def _cell(bar: int, row: int, color: str):
    from matplotlib.colors import to_rgb
    from matplotlib.patches import Rectangle

    tint = tuple(0.55 + 0.45 * v for v in to_rgb(color))  # the channel's colour, lightened for the number
    return Rectangle((bar + 0.04, row + 0.08), 0.92, 0.84, facecolor=tint, edgecolor="none")


def describe(song: Song) -> str:
    """``120 bpm · key C · normal :) · 4 beats per bar · 16 bars``."""
    return (
        f"{song.tempo} bpm · key {c.KEY_NAMES[song.key]} · {c.SCALE_NAMES[song.scale]} · "
        f"{song.beats_per_bar} beats per bar · {song.bar_count} bars · "
        f"{song.pitch_channel_count} pitch + {song.noise_channel_count} drum channels"
    )


def save_piano_roll(song: Song, path: str | Path, title: str | None = None, dpi: int = DPI) -> Path:
    """Draw ``song`` into the PNG file ``path`` (its folder made); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig = piano_roll_figure(song, title=title, dpi=dpi)
    fig.savefig(path, format="png", dpi=dpi)
    return path


def artifact_name(name: str, taken: set[str]) -> str:
    """A file name for ``name`` (letters, digits, ``.-_``; at most 80), unique among ``taken`` (updated)."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")[:80] or "song"
    candidate, n = stem, 1
    while candidate in taken:
        n += 1
        candidate = f"{stem}-{n}"
    taken.add(candidate)
    return candidate + ".png"


def log_piano_rolls(
    client, run_id: str, songs: Iterable[tuple[str, Song]], artifact_dir: str = "piano_rolls", dpi: int = DPI
) -> list[str]:
    """Each ``(name, song)`` as ``artifact_dir/<name>.png`` in MLflow run ``run_id``; returns those artifact
    paths. ``client`` is an ``MlflowClient``, the ``mlflow`` module, or a tracking URI. One upload call."""
    client = _client(client)
    with tempfile.TemporaryDirectory(prefix="beepbrain-piano-rolls-") as tmp:
        taken: set[str] = set()
        paths = []
        for name, song in songs:
            file_name = artifact_name(name, taken)
            save_piano_roll(song, Path(tmp) / file_name, title=name, dpi=dpi)
            paths.append(f"{artifact_dir}/{file_name}")
        if not paths:
            return []
        if isinstance(client, types.ModuleType):
            client.log_artifacts(tmp, artifact_path=artifact_dir, run_id=run_id)
        else:
            client.log_artifacts(run_id, tmp, artifact_path=artifact_dir)
    return paths


def _client(client):
    if isinstance(client, str):
        from mlflow.tracking import MlflowClient

        return MlflowClient(tracking_uri=client)
    return client


def log_generated_piano_rolls(
    client,
    run_id: str,
    rows: Iterable[dict],
    limit: int = GENERATED_LIMIT,
    artifact_dir: str = "piano_rolls/generated",
) -> list[str]:
    """The first ``limit`` songs of ``rows`` (``generate_to_dir``'s: each with its ``url`` and ``json`` file)
    as ``artifact_dir/<the JSON file's stem>.png`` in MLflow run ``run_id``; returns the artifact paths."""
    from itertools import islice

    from beepbrain.format import parse_song

    songs = []
    for i, row in enumerate(islice(rows, max(0, limit))):
        name = Path(row["json"]).stem if row.get("json") else f"song-{i + 1:02d}"
        songs.append((name, parse_song(row["url"])))
    return log_piano_rolls(_client(client), run_id, songs, artifact_dir=artifact_dir)


def log_eval_piano_rolls(
    client, run_id: str, generated: list[Song], test: list[Song], limit: int = EVAL_LIMIT
) -> list[str]:
    """An evaluation's songs side by side in MLflow run ``run_id``: the first ``limit`` generated songs as
    ``piano_rolls/generated/evaluate-01.png``, ... and the first ``limit`` test songs as
    ``piano_rolls/test/test-01.png``, ... (a later evaluation replaces them); returns the artifact paths."""
    client = _client(client)
    limit = max(0, limit)
    paths = log_piano_rolls(
        client,
        run_id,
        [(f"evaluate-{i + 1:02d}", song) for i, song in enumerate(generated[:limit])],
        artifact_dir="piano_rolls/generated",
    )
    return paths + log_piano_rolls(
        client,
        run_id,
        [(f"test-{i + 1:02d}", song) for i, song in enumerate(test[:limit])],
        artifact_dir="piano_rolls/test",
    )
