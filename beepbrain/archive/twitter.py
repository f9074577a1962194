"""The raw twitter-archive layout: ``metadata.json`` plus ``tweets/N.json``.

Each tweet holds ``actualUserName``, ``message``, ``statusId`` and ``songs``: a list whose entries are song
URLs (strings) or objects ``{"fork": "<editor host>/", "songData": "<song string>"}``. Every entry becomes
a record; a tweet file that is not JSON becomes a json-stage reject record, so nothing is lost, and one
larger than the record limit a size-stage record (it is not read whole).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path

from beepbrain.archive.forks import fork_from_host, fork_from_url
from beepbrain.archive.lines import PREFIX_BYTES, Oversize, max_record_bytes
from beepbrain.archive.records import STAGE_JSON, Record

_NUMBER = re.compile(r"(\d+)")


def is_twitter_dir(path: Path) -> bool:
    return path.is_dir() and (path / "metadata.json").is_file() and (path / "tweets").is_dir()


def _tweet_order(path: Path) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in _NUMBER.split(path.stem))


def _sha1_of(path: Path) -> str:
    digest = hashlib.sha1()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def read_twitter_dir(path: str | Path, source: str | None = None) -> Iterator[Record]:
    path = Path(path)
    base = source or path.name
    limit = max_record_bytes()
    for tweet_path in sorted((path / "tweets").glob("*.json"), key=_tweet_order):
        name = f"{base}/tweets/{tweet_path.name}"
        size = tweet_path.stat().st_size
        if size > limit:
            with open(tweet_path, "rb") as fh:
                head = fh.read(PREFIX_BYTES)
            yield Oversize(size, head, _sha1_of(tweet_path)).record(name, 1, 0, limit)
            continue
        text = tweet_path.read_bytes().decode("utf-8", errors="replace")
        try:
            tweet = json.loads(text)
            if not isinstance(tweet, dict) or not isinstance(tweet.get("songs", []), list):
                raise ValueError("tweet is not an object with a 'songs' list")
        except ValueError as exc:
            yield Record(name, 1, 0, raw=text, error=f"invalid tweet JSON: {exc}", stage=STAGE_JSON)
            continue
        author = str(tweet.get("actualUserName") or "")
        message = str(tweet.get("message") or "")
        for index, entry in enumerate(tweet.get("songs") or [], start=1):
            if isinstance(entry, str):
                data = entry.split("#", 1)[1] if "#" in entry else entry
                yield Record(
                    name,
                    index,
                    index - 1,
                    author=author,
                    fork=fork_from_url(entry),
                    content=message,
                    url=entry.strip(),
                    data=data.strip(),
                )
            elif isinstance(entry, dict) and isinstance(entry.get("songData"), str):
                host = str(entry.get("fork") or "")
                data = entry["songData"].strip()
                url = f"https://{host.strip('/')}/#{data}" if host else data
                yield Record(
                    name,
                    index,
                    index - 1,
                    author=author,
                    fork=fork_from_host(host),
                    content=message,
                    url=url,
                    data=data,
                )
            else:
                yield Record(
                    name,
                    index,
                    index - 1,
                    raw=json.dumps(entry),
                    stage=STAGE_JSON,
                    error="song entry is neither a URL string nor {fork, songData}",
                )
