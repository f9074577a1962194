"""Songs like a given one: cosine similarity of song vectors, ranked in DuckDB by the named queries
``similar_songs`` (a catalog song, by id) and ``similar_to_vector`` (any song, by its vector).

Songs that play exactly the query's notes (the same ``notes_hash``: the song saved again, perhaps with other
instruments or tempo) are the query itself as far as its music goes: they are left out of the ranking and
named apart (``Similar.identical``), unless ``include_identical`` asks for them in it. Songs whose scores
agree to 5 decimals (the same notes up to transposition) are ranked: first the query's song in another key
with all else equal (the same ``form_hash``: ``Match.transposed``), then by how much of the arrangement
matches (tempo, rhythm, beats per bar, bars, channel counts, instrument types), then by the nearest key
(``lowest_pitch``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from beepbrain.embed import store


class NotEmbedded(LookupError):
    """The catalog has no song vectors yet."""


@dataclass
class Match:
    song_id: str
    author: str | None
    source_url: str | None
    score: float
    identical: bool = False  # plays exactly the query's notes
    transposed: bool = False  # the query's song in another key, all else equal


@dataclass
class Similar:
    matches: list[Match]
    found: str  # how the query song was found
    identical: list[str] = field(default_factory=list)  # catalog songs with the query's notes, itself aside


def _run(con, name: str, params: dict) -> list[Match]:
    from beepbrain.corpus.sqlfiles import load_query

    query = load_query(name)
    rows = con.execute(query.sql, query.bind(params)).fetchall()
    return [Match(r[0], r[1], r[2], float(r[3]), bool(r[5]), bool(r[6])) for r in rows]


def _identical(con, notes_hash: str | None, sid: str) -> list[str]:
    if notes_hash is None:
        return []
    rows = con.execute(
        "SELECT song_id FROM song_embeddings WHERE notes_hash = $h AND song_id <> $s ORDER BY song_id",
        {"h": notes_hash, "s": sid},
    ).fetchall()
    return [r[0] for r in rows]


def arrangement(song) -> dict:
    """What ranks songs of equal score: the corpus columns the named queries compare."""
    from beepbrain.corpus.rows import type_name

    return {
        "tempo": song.tempo,
        "rhythm": song.rhythm,
        "beats_per_bar": song.beats_per_bar,
        "bar_count": song.bar_count,
        "pitch_channels": song.pitch_channel_count,
        "noise_channels": song.noise_channel_count,
        "instrument_types": sorted({type_name(i.type) for ch in song.channels for i in ch.instruments}),
    }


def similar_songs(
    data_dir, text: str, k: int = 10, tracking_uri: str | None = None, include_identical: bool = False
) -> Similar:
    """The catalog songs most like a song text (string, URL or JSON), best first."""
    import duckdb

    from beepbrain import settings
    from beepbrain.archive.records import song_id
    from beepbrain.corpus.catalog import open_catalog
    from beepbrain.embed.identity import fingerprints
    from beepbrain.format import parse_song
    from beepbrain.format.parse import song_string

    data = settings.data_dir(data_dir)
    tag = store.current_tag(data)
    if tag is None:
        raise NotEmbedded(f"the catalog in {data} has no song vectors; run `beepbrain embed` first")
    sid = song_id(song_string(text))
    with open_catalog(data, read_only=True) as con:
        try:
            columns = {
                r[0] for r in con.execute("SELECT column_name FROM (DESCRIBE song_embeddings)").fetchall()
            }
        except duckdb.Error:  # a view over files that lack its columns
            columns = set()
        missing = sorted(set(store.song_schema().names) - columns)
        if missing:
            raise NotEmbedded(
                f"the song vectors in {data} were made by an older beepbrain (no {', '.join(missing)}); "
                f"run `beepbrain embed` to bring them up to date"
            )
        legacy = store.legacy_batches(data, tag)
        if legacy:
            raise NotEmbedded(
                f"the song vectors in {data} were made by an older beepbrain ({len(legacy)} batch(es) "
                f"read channel octaves as transpositions); run `beepbrain embed` to bring them up to date"
            )
        known = con.execute(
            "SELECT notes_hash FROM song_embeddings WHERE song_id = $s AND vector IS NOT NULL", {"s": sid}
        ).fetchall()
        if known:
            matches = _run(
                con, "similar_songs", {"song_id": sid, "k": k, "include_identical": include_identical}
            )
            return Similar(matches, f"catalog song {sid}", _identical(con, known[0][0], sid))
    from beepbrain.embed.registry import load_encoder
    from beepbrain.embed.vectors import embed_song

    song = parse_song(text)  # BeepBoxFormatError (a ValueError) for a bad one
    uri = settings.tracking_uri(data, tracking_uri)
    encoder = load_encoder(uri, version=tag.removeprefix("v") if tag.startswith("v") else None)
    _patterns, _vectors, vector = embed_song(encoder.model, song)
    if vector is None:
        raise ValueError("the song has no notes, so it has no vector to compare")
    identity = fingerprints(song)
    with open_catalog(data, read_only=True) as con:
        matches = _run(
            con,
            "similar_to_vector",
            {
                "vector": vector.tolist(),
                "exclude": sid,
                "k": k,
                "include_identical": include_identical,
                **identity,
                **arrangement(song),
            },
        )
        identical = _identical(con, identity["notes_hash"], sid)
    return Similar(
        matches, f"song {sid} (not in the catalog: embedded with beepbrain-embed {encoder.tag})", identical
    )
