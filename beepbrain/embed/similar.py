"""Songs like a given one: cosine similarity of song vectors, ranked in DuckDB by the named queries
``similar_songs`` (a catalog song, by id) and ``similar_to_vector`` (any song, by its vector).

Songs whose scores agree to 5 decimals (the same notes up to transposition) are ranked by how much of the
arrangement matches: tempo, rhythm, beats per bar, bars, channel counts, instrument types."""

from __future__ import annotations

from dataclasses import dataclass

from beepbrain.embed import store


class NotEmbedded(LookupError):
    """The catalog has no song vectors yet."""


@dataclass
class Match:
    song_id: str
    author: str | None
    source_url: str | None
    score: float


def _run(con, name: str, params: dict) -> list[Match]:
    from beepbrain.corpus.sqlfiles import load_query

    query = load_query(name)
    rows = con.execute(query.sql, query.bind(params)).fetchall()
    return [Match(r[0], r[1], r[2], float(r[3])) for r in rows]


def arrangement(song) -> dict:
    """What ranks songs of equal score: the corpus columns the named queries compare."""
    from beepbrain.corpus.rows import type_name

    return {"tempo": song.tempo, "rhythm": song.rhythm, "beats_per_bar": song.beats_per_bar,
            "bar_count": song.bar_count, "pitch_channels": song.pitch_channel_count,
            "noise_channels": song.noise_channel_count,
            "instrument_types": sorted({type_name(i.type) for ch in song.channels for i in ch.instruments})}


def similar_songs(data_dir, text: str, k: int = 10, tracking_uri: str | None = None) -> tuple[list[Match], str]:
    """(matches, how the query song was found) for a song text (string, URL or JSON) against the catalog."""
    from beepbrain import settings
    from beepbrain.archive.records import song_id
    from beepbrain.corpus.catalog import open_catalog
    from beepbrain.format import parse_song
    from beepbrain.format.parse import song_string

    data = settings.data_dir(data_dir)
    tag = store.current_tag(data)
    if tag is None:
        raise NotEmbedded(f"the catalog in {data} has no song vectors; run `beepbrain embed` first")
    sid = song_id(song_string(text))
    with open_catalog(data, read_only=True) as con:
        known = con.execute("SELECT count(*) FROM song_embeddings WHERE song_id = $s AND vector IS NOT NULL",
                            {"s": sid}).fetchone()[0]
        if known:
            return _run(con, "similar_songs", {"song_id": sid, "k": k}), f"catalog song {sid}"
    from beepbrain.embed.registry import load_encoder
    from beepbrain.embed.vectors import embed_song

    song = parse_song(text)  # BeepBoxFormatError (a ValueError) for a bad one
    uri = settings.tracking_uri(data, tracking_uri)
    encoder = load_encoder(uri, version=tag.removeprefix("v") if tag.startswith("v") else None)
    _patterns, _vectors, vector = embed_song(encoder.model, song)
    if vector is None:
        raise ValueError("the song has no notes, so it has no vector to compare")
    with open_catalog(data, read_only=True) as con:
        matches = _run(con, "similar_to_vector", {"vector": vector.tolist(), "exclude": sid, "k": k,
                                                  **arrangement(song)})
    return matches, f"song {sid} (not in the catalog: embedded with beepbrain-embed {encoder.tag})"
