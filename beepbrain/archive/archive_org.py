"""The BeepBox Archive's dump on archive.org: which file of the item to download.

The archive's own scripts write the dump as ``beepbox-archive.jsonl.zstd`` and upload it to the archive.org
item ``beepbox``. Rather than trust one spelling, the file is looked up in the item's own file list
(``<item>_files.xml``, which also gives its md5); when the list cannot be had, the known name is used.
``$BEEPBRAIN_ARCHIVE_ORG_URL`` points at another archive.org-like host (a mirror, or a local test server).
"""

from __future__ import annotations

import logging
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import quote

import httpx

log = logging.getLogger(__name__)

ARCHIVE_ORG_ENV = "BEEPBRAIN_ARCHIVE_ORG_URL"
ARCHIVE_ORG = "https://archive.org"
ITEM = "beepbox"
DUMP_NAME = "beepbox-archive.jsonl.zstd"  # the name the archive's filter_dataset.py writes
DUMP_SUFFIXES = (".jsonl.zstd", ".jsonl.zst", ".jsonl")


@dataclass(frozen=True)
class ItemFile:
    name: str
    size: int | None = None
    md5: str | None = None


@dataclass(frozen=True)
class Dump:
    """The file chosen: its URL, its md5 where the item lists one, and whether the list was read."""

    url: str
    md5: str | None
    from_file_list: bool


def archive_org_url() -> str:
    return os.environ.get(ARCHIVE_ORG_ENV, ARCHIVE_ORG).rstrip("/")


def item_url(item: str = ITEM, base: str | None = None) -> str:
    return f"{(base or archive_org_url()).rstrip('/')}/download/{quote(item)}"


def parse_files_xml(xml: bytes) -> list[ItemFile]:
    """The files an archive.org ``_files.xml`` lists (name, size, md5)."""
    files = []
    for node in ET.fromstring(xml).iter("file"):
        name = node.get("name")
        if not name:
            continue
        size = (node.findtext("size") or "").strip()
        md5 = (node.findtext("md5") or "").strip().lower() or None
        files.append(ItemFile(name, int(size) if size.isdigit() else None, md5))
    return files


def pick_dump(files: list[ItemFile]) -> ItemFile | None:
    """The dump among an item's files: the known name if listed, else the largest JSON-lines file."""
    for f in files:
        if f.name == DUMP_NAME:
            return f
    candidates = [f for f in files if f.name.lower().endswith(DUMP_SUFFIXES) and "/" not in f.name]
    return max(candidates, key=lambda f: f.size or 0, default=None)


def resolve_dump(
    item: str = ITEM, base: str | None = None, client: httpx.Client | None = None, timeout: float = 30.0
) -> Dump:
    """Which file of ``item`` is the dump: from its ``_files.xml``, else the known name ``DUMP_NAME``."""
    where = item_url(item, base)
    files_url = f"{where}/{quote(item)}_files.xml"
    own = client is None
    client = client or httpx.Client(timeout=timeout, follow_redirects=True)
    try:
        response = client.get(files_url)
        response.raise_for_status()
        chosen = pick_dump(parse_files_xml(response.content))
        if chosen is not None:
            return Dump(f"{where}/{quote(chosen.name)}", chosen.md5, True)
        log.warning("%s lists no JSON-lines dump; trying %s", files_url, DUMP_NAME)
    except (httpx.HTTPError, ET.ParseError) as exc:
        log.warning("no file list from %s (%s); trying %s", files_url, exc, DUMP_NAME)
    finally:
        if own:
            client.close()
    return Dump(f"{where}/{quote(DUMP_NAME)}", None, False)
