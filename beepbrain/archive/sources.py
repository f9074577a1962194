"""Where records come from: resolve a source (URL, file, folder, or the bundled sample) and read it."""

from __future__ import annotations

import importlib.resources
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from beepbrain.archive.archive_org import resolve_dump
from beepbrain.archive.download import Progress, download
from beepbrain.archive.jsonl import ZSTD_MAGIC, read_jsonl
from beepbrain.archive.midi_files import is_midi_source, read_midi_files
from beepbrain.archive.music21_corpus import is_music21_spec, read_music21
from beepbrain.archive.records import Record
from beepbrain.archive.twitter import is_twitter_dir, read_twitter_dir
from beepbrain.archive.urls import read_url_list

SAMPLE = "sample"  # the source name of the bundled sample archive
ARCHIVE = "archive"  # the BeepBox Archive's dump on archive.org (the item's file list names the file)
CONVERT_CHUNK_SIZE = 16  # records per parse task for sources whose records are converted (MIDI, scores)


def sample_archive() -> Path:
    """The sample archive shipped with the package (a few hundred real songs)."""
    resource = importlib.resources.files("beepbrain") / "data" / "sample-archive.jsonl.zst"
    return Path(str(resource))


def is_url(spec: str) -> bool:
    return spec.startswith(("http://", "https://"))


@dataclass(frozen=True)
class Source:
    """A resolved, local source: ``kind`` is jsonl, urls, twitter, midi (MIDI files) or music21 (its score
    corpus); ``name`` goes into provenance. ``chunk_size``: records per parse task this kind of source wants
    at most (records that need converting take far longer than a song string to parse)."""

    name: str
    path: Path
    kind: str
    chunk_size: int | None = None

    def records(self) -> Iterator[Record]:
        if self.kind == "midi":
            return read_midi_files(self.path, self.name)
        if self.kind == "music21":
            return read_music21(self.name)
        if self.kind == "twitter":
            return read_twitter_dir(self.path, self.name)
        if self.kind == "urls":
            return read_url_list(self.path, self.name)
        return read_jsonl(self.path, self.name)


def _kind_of(path: Path) -> str:
    if is_twitter_dir(path):
        return "twitter"
    if is_midi_source(path):
        return "midi"
    if path.is_dir():
        raise FileNotFoundError(
            f"{path} is a folder but neither a twitter archive (no metadata.json + tweets/) "
            "nor a folder of MIDI files"
        )
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if head.startswith(ZSTD_MAGIC) or path.name.endswith((".jsonl", ".jsonl.zst", ".zst", ".ndjson")):
        return "jsonl"
    if head.lstrip().startswith(b"{"):
        return "jsonl"
    return "urls"


def resolve_source(
    spec: str | Path | None,
    data_dir: str | Path,
    *,
    sha256: str | None = None,
    progress: Progress | None = None,
) -> Source:
    """A local Source for ``spec``: None for the bundled sample; ``"archive"`` for the BeepBox Archive's dump
    on archive.org (see `beepbrain.archive.archive_org`); an http(s) URL (downloaded into the cache);
    a ``.jsonl``/``.jsonl.zst`` file; a text file of song URLs; a raw twitter-archive folder; a folder of
    MIDI files (or one); ``music21`` or ``music21:SUBSET``, the scores bundled with music21."""
    if spec is None or str(spec) == SAMPLE:
        return Source(SAMPLE, sample_archive(), "jsonl")
    text = str(spec)
    if text == ARCHIVE:
        dump = resolve_dump()
        path = download(
            dump.url, data_dir, sha256=sha256, md5=None if sha256 else dump.md5, progress=progress
        )
        return Source(dump.url, path, _kind_of(path))
    if is_music21_spec(text):
        from beepbrain.archive.music21_corpus import corpus_folder

        return Source(text, corpus_folder(), "music21", chunk_size=CONVERT_CHUNK_SIZE)
    if is_url(text):
        path = download(text, data_dir, sha256=sha256, progress=progress)
        return Source(text, path, _kind_of(path))
    check_source(text)
    path = Path(text).expanduser()
    kind = _kind_of(path)
    return Source(path.name, path.resolve(), kind, chunk_size=CONVERT_CHUNK_SIZE if kind == "midi" else None)


def check_source(spec: str | Path | None) -> None:
    """Raise ``FileNotFoundError`` for a source that names no URL, no known source and no existing file or
    folder: what can be told before any job starts (a URL is only tried when it is fetched)."""
    if spec is None or str(spec) in (SAMPLE, ARCHIVE) or is_url(str(spec)) or is_music21_spec(str(spec)):
        return
    path = Path(str(spec)).expanduser()
    if not path.exists():
        raise FileNotFoundError(
            f"source {str(spec)!r} is neither an http(s) URL, `archive`, nor an existing file "
            "or folder (music21[:SUBSET] names music21's scores)"
        )
