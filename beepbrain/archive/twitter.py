"""The raw twitter-archive layout: ``metadata.json`` plus ``tweets/N.json``.

Each tweet holds ``actualUserName``, ``message``, ``statusId`` and ``songs``: a list whose entries are song
URLs (strings) or objects ``{"fork": "<editor host>/", "songData": "<song string>"}``. Every entry becomes
a record; a tweet file that is not JSON becomes a json-stage reject record, so nothing is lost.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

from beepbrain.archive.forks import fork_from_host, fork_from_url
from beepbrain.archive.records import STAGE_JSON, Record

_NUMBER = re.compile(r"(\d+)")


def is_twitter_dir(path: Path) -> bool:
    return path.is_dir() and (path / "metadata.json").is_file() and (path / "tweets").is_dir()


def _tweet_order(path: Path) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in _NUMBER.split(path.stem))


def read_twitter_dir(path: str | Path, source: str | None = None) -> Iterator[Record]:
    path = Path(path)
    base = source or path.name
    for tweet_path in sorted((path / "tweets").glob("*.json"), key=_tweet_order):
        name = f"{base}/tweets/{tweet_path.name}"
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
                yield Record(name, index, index - 1, author=author, fork=fork_from_url(entry),
                             content=message, url=entry.strip(), data=data.strip())
            elif isinstance(entry, dict) and isinstance(entry.get("songData"), str):
                host = str(entry.get("fork") or "")
                data = entry["songData"].strip()
                url = f"https://{host.strip('/')}/#{data}" if host else data
                yield Record(name, index, index - 1, author=author, fork=fork_from_host(host),
                             content=message, url=url, data=data)
            else:
                yield Record(name, index, index - 1, raw=json.dumps(entry), stage=STAGE_JSON,
                             error="song entry is neither a URL string nor {fork, songData}")
