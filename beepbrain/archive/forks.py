"""Which BeepBox fork a song belongs to, told by the editor's host or the song string's first character."""

from __future__ import annotations

from urllib.parse import urlsplit

# Editor hosts of the forks the archive names; anything else is named by its host.
HOST_FORKS = {
    "beepbox.co": "beepbox",
    "www.beepbox.co": "beepbox",
    "jummbus.bitbucket.io": "jummbox",
    "jummb.us": "jummbox",
    "ultraabox.github.io": "ultrabox",
    "slarmoo.github.io": "slarmoosbox",
    "aurysystem.github.io": "goldbox",
}


def fork_from_host(host: str) -> str:
    host = host.strip().strip("/").lower().split("/", 1)[0]
    if not host:
        return ""
    if host in HOST_FORKS:
        return HOST_FORKS[host]
    return host.removeprefix("www.")


def fork_from_url(url: str) -> str:
    """The fork for a song URL, by its host; by the song string's variant character when there is none."""
    text = url.strip()
    if "://" in text:
        return fork_from_host(urlsplit(text).netloc)
    head = text.split("#", 1)[0]
    if "." in head:
        return fork_from_host(head)
    return fork_from_song(text.split("#", 1)[-1])


def fork_from_song(data: str) -> str:
    """BeepBox strings start with their version digit, JummBox ones with ``j``; others are unknown."""
    s = data.strip().lstrip("#")
    if not s:
        return ""
    if s[0].isdigit():
        return "beepbox"
    if s[0] == "j":
        return "jummbox"
    return "other"
