"""Writing generated songs to disk: BeepBox JSON, MIDI, the URL, and an index of the batch."""

from __future__ import annotations

import json
from pathlib import Path

from beepbrain.generate.songs import GeneratedSong
from beepbrain.midi.write import write_midi


def write_song(result: GeneratedSong, out_dir: str | Path, stem: str) -> dict[str, str]:
    """``stem.json`` (BeepBox's JSON export: File > Import in BeepBox opens it), ``stem.mid`` and
    ``stem.url`` (the full link). Returns the paths by kind, and the URL."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    json_path = out / f"{stem}.json"
    json_path.write_text(json.dumps(result.song.to_json(), indent=1) + "\n", encoding="utf-8")
    midi_path = write_midi(result.song, out / f"{stem}.mid")
    url_path = out / f"{stem}.url"
    url_path.write_text(result.url + "\n", encoding="utf-8")
    return {"url": result.url, "json": str(json_path), "midi": str(midi_path), "url_file": str(url_path)}


def write_batch(
    results: list[GeneratedSong],
    out_dir: str | Path,
    prefix: str = "song",
    meta: dict | None = None,
    start: int = 0,
) -> list[dict]:
    """Every song of a batch, plus ``index.jsonl``: one line per song with its files, seed and settings."""
    out = Path(out_dir)
    rows = []
    for i, result in enumerate(results):
        paths = write_song(result, out, f"{prefix}-{start + i + 1:02d}-seed{result.seed}")
        song = result.song
        row = {
            **paths,
            "seed": result.seed,
            "tokens": len(result.tokens),
            "seconds": round(result.seconds, 3),
            "bars": song.bar_count,
            "rhythm": song.rhythm,
            "pitch_channels": song.pitch_channel_count,
            "drum_channels": song.noise_channel_count,
            **(meta or {}),
        }
        rows.append(row)
    if rows:
        with open(out / "index.jsonl", "a", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row) + "\n")
    return rows
