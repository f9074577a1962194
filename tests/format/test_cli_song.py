"""`beepbrain song info | to-json | to-url | to-midi | show`: every input form, and clear errors (exit 2) for
bad input."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from beepbrain.cli import main
from beepbrain.format import parse_song

BEEPBRAIN = Path(sys.executable).parent / "beepbrain"


@pytest.fixture(scope="module")
def record(reference_records):
    """A version-8 song with drums, so that to-url has to upgrade it."""
    return next(
        r
        for r in reference_records
        if r["ok"] and r["data"].startswith("8") and any(ch["type"] == "drum" for ch in r["json"]["channels"])
    )


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(["song", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_to_url_upgrades_to_version_9(capsys, record):
    code, out, _ = run(capsys, "to-url", record["data"])
    assert code == 0 and out == f"https://www.beepbox.co/#{record['url_v9']}\n"
    code, out, _ = run(capsys, "to-url", "--bare", record["data"])
    assert out == record["url_v9"] + "\n"


def test_to_json_is_beepboxs_export(capsys, record):
    code, out, _ = run(capsys, "to-json", record["data"])
    assert code == 0
    assert json.dumps(json.loads(out), ensure_ascii=False) == json.dumps(record["json"], ensure_ascii=False)
    assert out.startswith('{\n  "format": "BeepBox"')  # pretty
    assert "C♯" in out or "♯" not in json.dumps(record["json"], ensure_ascii=False)


def test_info_summarises_the_song(capsys, record):
    song = parse_song(record["data"])
    code, out, _ = run(capsys, "info", record["data"])
    assert code == 0
    assert "BeepBox URL, version 8" in out
    assert f"tempo       {song.tempo} bpm" in out
    assert f"bars        {song.bar_count}" in out
    notes = sum(len(p.notes) for ch in song.channels for p in ch.patterns)
    assert f"notes       {notes} in patterns" in out
    assert f"({song.pitch_channel_count} pitch, {song.noise_channel_count} drum)" in out
    assert " drum " in out and " pitch " in out


@pytest.mark.parametrize("form", ["url", "hash", "player", "json", "padded"])
def test_song_from_a_file_in_any_form(capsys, tmp_path, record, form):
    text = {
        "url": f"https://www.beepbox.co/#{record['data']}",
        "hash": f"#{record['data']}",
        "player": f"https://www.beepbox.co/player/#song={record['data']}",
        "json": json.dumps(record["json"], ensure_ascii=False, indent=1),
        "padded": f"\n  {record['data']}  \n\n",
    }[form]
    path = tmp_path / "song.txt"
    path.write_text(text, encoding="utf-8")
    code, out, err = run(capsys, "to-url", "--bare", str(path))
    assert (code, err) == (0, "")
    assert out == record["url_v9"] + "\n"


def test_song_from_stdin(capsys, monkeypatch, record):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(f"#{record['data']}\n".encode())))
    code, out, _ = run(capsys, "to-url", "--bare", "-")
    assert code == 0 and out == record["url_v9"] + "\n"


@pytest.mark.parametrize(
    ("make_arg", "message"),
    [
        (lambda tmp: "9nz1", "not in range"),
        (lambda tmp: "not a song", "bad BeepBox song"),
        (lambda tmp: "https://www.beepbox.co/", "no '#'"),
        (lambda tmp: str(tmp / "missing.txt"), "no such file"),
        (lambda tmp: _write(tmp / "empty.txt", b"  \n"), "is empty"),
        (lambda tmp: _write(tmp / "binary.txt", b"\xff\xfe\x00song"), "not UTF-8"),
        (lambda tmp: _write(tmp / "bad.json", b'{"channels": 5}'), "'channels' must be a list"),
        (lambda tmp: "", "empty song string"),
    ],
)
def test_bad_input_exits_2_with_a_message(capsys, tmp_path, make_arg, message):
    arg = make_arg(tmp_path)
    for action in (
        ["info"],
        ["to-json"],
        ["to-url"],
        ["to-midi", "--out", str(tmp_path / "out.mid")],
        ["show", "--out", str(tmp_path / "out.png")],
    ):
        code, out, err = run(capsys, *action, arg)
        assert code == 2 and out == ""
        assert err.startswith("beepbrain song: ") and message in err
        assert "Traceback" not in err


def _write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


def test_console_script(record, tmp_path):
    """The installed `beepbrain` command, as a user runs it."""
    good = subprocess.run(
        [str(BEEPBRAIN), "song", "to-url", "--bare", record["data"]],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (good.returncode, good.stdout, good.stderr) == (0, record["url_v9"] + "\n", "")
    bad = subprocess.run(
        [str(BEEPBRAIN), "song", "info", "-"], input="9zzz", capture_output=True, text=True, timeout=120
    )
    assert bad.returncode == 2 and bad.stdout == "" and "Traceback" not in bad.stderr
    assert bad.stderr.startswith("beepbrain song: ")
