"""Download an archive dump over HTTP(S): streamed, resumable, retried, checked, cached.

The file is written to ``DATA_DIR/downloads/<name>`` through ``<name>.part``. An interrupted download keeps
the ``.part`` file and the next attempt asks for the rest with a Range request; a server that ignores Range
(200 instead of 206) restarts it from zero. 429/5xx answers, dropped connections and timeouts are retried
with exponential backoff. The finished file is checked against the size the server announced and, where
known, a checksum (``sha256=``/``md5=``, or the md5 that archive.org lists in the item's ``_files.xml``);
a ``<name>.json`` note records the check, so a later run uses the cached file without a request.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx

log = logging.getLogger(__name__)

# The BeepBox Archive's dump on archive.org (item `beepbox`) under the name the archive's scripts write;
# `--source archive` looks the file up in the item's list first (beepbrain.archive.archive_org).
DEFAULT_ARCHIVE_URL = "https://archive.org/download/beepbox/beepbox-archive.jsonl.zstd"
RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}

Progress = Callable[[int, int | None], None]


class DownloadError(RuntimeError):
    """A download that could not be completed or whose bytes are not what the server promised."""


class NetworkError(DownloadError):
    """The network or the server failed (dropped connections, timeouts, 429/5xx) even after the retries:
    trying again later may succeed, unlike for a wrong URL (404) or a checksum mismatch."""


def is_transient(exc: BaseException | None) -> bool:
    """Whether a retry of the failed step can succeed: a network failure or a busy server, not bad input."""
    return isinstance(exc, NetworkError | httpx.TransportError)


@dataclass(frozen=True)
class Checksum:
    algorithm: str  # "sha256" or "md5"
    hexdigest: str

    def matches(self, path: Path) -> bool:
        return file_digest(path, self.algorithm) == self.hexdigest.lower()


def file_digest(path: Path, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def cache_path(url: str, data_dir: Path) -> Path:
    """Where ``url`` is cached: ``DATA_DIR/downloads/<short hash of url>-<file name>``."""
    name = unquote(Path(urlsplit(url).path).name) or "archive"
    name = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    return Path(data_dir) / "downloads" / f"{hashlib.sha1(url.encode()).hexdigest()[:8]}-{name}"


def archive_org_files_xml(url: str) -> tuple[str, str] | None:
    """For an archive.org ``/download/<item>/<file>`` URL: the item's ``_files.xml`` URL and the file's name."""
    parts = urlsplit(url)
    segments = [unquote(s) for s in parts.path.split("/") if s]
    if not parts.netloc.endswith("archive.org") or len(segments) < 3 or segments[0] != "download":
        return None
    item, name = segments[1], "/".join(segments[2:])
    return f"{parts.scheme}://{parts.netloc}/download/{item}/{item}_files.xml", name


def md5_from_files_xml(xml: bytes, name: str) -> str | None:
    """The md5 an archive.org ``_files.xml`` lists for ``name``."""
    for node in ET.fromstring(xml).iter("file"):
        if node.get("name") == name and (md5 := (node.findtext("md5") or "").strip()):
            return md5.lower()
    return None


def archive_org_md5(url: str, client: httpx.Client) -> str | None:
    """The md5 archive.org lists for ``url``, or None when it is not an archive.org file or unknown."""
    where = archive_org_files_xml(url)
    if where is None:
        return None
    files_url, name = where
    try:
        response = client.get(files_url, follow_redirects=True)
        response.raise_for_status()
        return md5_from_files_xml(response.content, name)
    except (httpx.HTTPError, ET.ParseError) as exc:
        log.warning("no checksum from %s: %s", files_url, exc)
    return None


def _total_from(response: httpx.Response, start: int) -> int | None:
    if response.status_code == 206:
        m = re.match(r"bytes (\d+)-(\d+)/(\d+|\*)", response.headers.get("content-range", ""))
        if not m:
            raise DownloadError(f"206 answer without a usable Content-Range: {response.headers}")
        if int(m.group(1)) != start:
            raise DownloadError(f"asked for bytes from {start}, server sent from {m.group(1)}")
        return int(m.group(3)) if m.group(3) != "*" else None
    length = response.headers.get("content-length")
    return int(length) if length and "content-encoding" not in response.headers else None


def _retry_delay(attempt: int, backoff: float, response: httpx.Response | None) -> float:
    delay = backoff * (2**attempt)
    if response is not None and (after := response.headers.get("retry-after", "")).isdigit():
        delay = max(delay, float(after))
    return min(delay, 60.0)


def download(
    url: str,
    data_dir: str | Path,
    *,
    sha256: str | None = None,
    md5: str | None = None,
    lookup_checksum: bool = True,
    retries: int = 6,
    backoff: float = 0.5,
    timeout: float = 60.0,
    progress: Progress | None = None,
    client: httpx.Client | None = None,
) -> Path:
    """Fetch ``url`` into the data directory's download cache and return the local path.

    ``retries`` bounds consecutive failed attempts (an attempt that made progress resets the count).
    """
    dest = cache_path(url, Path(data_dir))
    note = dest.with_name(dest.name + ".json")
    part = dest.with_name(dest.name + ".part")
    if dest.exists() and note.exists():
        meta = json.loads(note.read_text())
        if meta.get("url") == url and meta.get("size") == dest.stat().st_size:
            wanted = [c for c in (("sha256", sha256), ("md5", md5)) if c[1]]
            if all(meta.get(alg) == value.lower() for alg, value in wanted):
                return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    own_client = client is None
    client = client or httpx.Client(timeout=timeout, follow_redirects=True)
    try:
        checksum = None
        if sha256:
            checksum = Checksum("sha256", sha256)
        elif md5:
            checksum = Checksum("md5", md5)
        elif lookup_checksum and (found := archive_org_md5(url, client)):
            checksum = Checksum("md5", found)
        total = _fetch_to_part(url, part, client, retries, backoff, progress)
        size = part.stat().st_size
        if total is not None and size != total:
            raise DownloadError(f"{url}: got {size} bytes, server announced {total}")
        if checksum and not checksum.matches(part):
            bad = part.with_name(part.name + ".bad")
            os.replace(part, bad)
            raise DownloadError(
                f"{url}: {checksum.algorithm} mismatch (expected {checksum.hexdigest}); "
                f"kept the bytes as {bad}"
            )
        os.replace(part, dest)
        meta = {"url": url, "size": size, "sha256": file_digest(dest, "sha256"), "fetched": time.time()}
        if checksum and checksum.algorithm == "md5":
            meta["md5"] = checksum.hexdigest.lower()
        note.write_text(json.dumps(meta, indent=1))
        return dest
    finally:
        if own_client:
            client.close()


def _fetch_to_part(
    url: str, part: Path, client: httpx.Client, retries: int, backoff: float, progress: Progress | None
) -> int | None:
    """Fill ``part`` with the whole body of ``url``; returns the announced total size (or None)."""
    failures = 0
    while True:
        start = part.stat().st_size if part.exists() else 0
        headers = {"Accept-Encoding": "identity"}
        if start:
            headers["Range"] = f"bytes={start}-"
        response = None
        try:
            with client.stream("GET", url, headers=headers) as response:
                if response.status_code == 416 and start:
                    m = re.match(r"bytes \*/(\d+)", response.headers.get("content-range", ""))
                    if m and int(m.group(1)) == start:
                        return start  # the part file is already whole
                    part.unlink()  # the file changed on the server: start again
                    continue
                if response.status_code in RETRY_STATUS:
                    raise _Retryable(f"HTTP {response.status_code}")
                if response.status_code not in (200, 206):
                    raise DownloadError(f"{url}: HTTP {response.status_code}")
                if response.status_code == 200 and start:
                    log.info("server ignored Range; restarting %s from zero", url)
                    start = 0
                total = _total_from(response, start)
                done = start
                with open(part, "ab" if start else "wb") as fh:
                    for block in response.iter_bytes():  # as received: a drop loses nothing read
                        fh.write(block)
                        done += len(block)
                        failures = 0  # progress was made
                        if progress:
                            progress(done, total)
                if total is not None and done < total:
                    raise _Retryable(f"connection closed at byte {done} of {total}")
                return total
        except (_Retryable, httpx.TransportError) as exc:
            failures += 1
            if failures > retries:
                raise NetworkError(f"{url}: giving up after {retries} retries: {exc}") from None
            delay = _retry_delay(failures - 1, backoff, response if isinstance(exc, _Retryable) else None)
            log.warning("download of %s failed (%s); retrying in %.1fs", url, exc, delay)
            time.sleep(delay)


class _Retryable(Exception):
    pass
