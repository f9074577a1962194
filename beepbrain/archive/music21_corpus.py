"""The scores bundled with music21 (Bach chorales, folk-song collections, Palestrina, ...) as records.

``music21`` is the whole corpus, ``music21:SUBSET`` one of its collections (the corpus's top folders:
``bach``, ``essenFolksong``, ``palestrina``, ...). One record per work: a file of several tunes (an ABC
songbook) gives one record per tune. Records carry the work's corpus path (``beepbrain.archive.payload``);
the score is read and converted where records are parsed. Needs the optional ``music21`` package
(``pip install "beepbrain[scores]"``).
"""

from __future__ import annotations

from collections.abc import Iterator

from beepbrain.archive.payload import music21_payload
from beepbrain.archive.records import Record

PREFIX = "music21"
FORK = "music21"


def is_music21_spec(spec: str) -> bool:
    return spec == PREFIX or spec.startswith(PREFIX + ":")


def _corpus():
    try:
        from music21 import corpus
    except ImportError:
        raise RuntimeError(
            '--source music21 needs the music21 package: pip install "beepbrain[scores]"'
        ) from None
    return corpus


def corpus_folder():
    """Where music21's corpus is installed (raises RuntimeError when music21 is not)."""
    from pathlib import Path

    return Path(_corpus().__file__).parent


def works(subset: str | None = None) -> list[tuple[str, int | str | None]]:
    """(corpus path, work number or None) of every work in music21's corpus, or in its collection ``subset``."""
    corpus = _corpus()
    bundle = corpus.corpora.CoreCorpus().metadataBundle
    bundle.read()
    entries = getattr(bundle, "_metadataEntries", None)  # iterating the bundle itself is much slower
    entries = entries.values() if isinstance(entries, dict) else bundle
    numbered: dict[str, set] = {}
    for e in entries:
        number = e.number
        if isinstance(number, str) and number.isdigit():
            number = int(number)
        numbered.setdefault(str(e.sourcePath).replace("\\", "/"), set()).add(number)
    found = []
    for path in sorted(numbered):
        numbers = numbered[path] - {None} or {None}  # a songbook's own entry is all of its tunes at once
        found.extend((path, n) for n in sorted(numbers, key=lambda n: (isinstance(n, str), str(n).zfill(9))))
    if subset is None:
        return found
    chosen = [w for w in found if w[0].split("/", 1)[0].lower() == subset.lower()]
    if not chosen:
        known = sorted({w[0].split("/", 1)[0] for w in found})
        raise ValueError(f"music21 corpus has no collection {subset!r}; known: {', '.join(known)}")
    return chosen


def subset_of(spec: str) -> str | None:
    _, _, subset = spec.partition(":")
    return subset or None


def read_music21(spec: str) -> Iterator[Record]:
    for number, (path, work) in enumerate(works(subset_of(spec)), start=1):
        data = music21_payload(path, work)
        yield Record(spec, number, 0, author=path.split("/", 1)[0], fork=FORK, url=data, data=data)
