"""Where archive records come from: archive.org over HTTP, local JSON lines, URL lists, raw tweets."""

from beepbrain.archive.download import DEFAULT_ARCHIVE_URL, DownloadError, download
from beepbrain.archive.records import Record, song_id
from beepbrain.archive.sources import Source, resolve_source, sample_archive

__all__ = [
    "DEFAULT_ARCHIVE_URL",
    "DownloadError",
    "Record",
    "Source",
    "download",
    "resolve_source",
    "sample_archive",
    "song_id",
]
