"""`beepbrain embed`'s work: vectors for every catalog song not embedded yet by the current model, parsed
and encoded in chunks on Dask (or in this process), written as one Parquet batch, views rebuilt. Songs of
batches an older beepbrain wrote (``store.legacy_batches``) count as not embedded: they are embedded
again and those batches removed."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from beepbrain.embed import store

CHUNK_SIZE = 100

# Worker-side cache: the encoder rebuilt once per worker process and model (keyed by a hash of its weights).
_WORKER_MODELS: dict[str, object] = {}


@dataclass
class EmbedReport:
    model_version: str
    songs_total: int
    songs_new: int
    patterns_new: int
    songs_failed: int
    seconds: float

    def summary(self) -> str:
        return (
            f"embedded {self.songs_new:,} new songs ({self.patterns_new:,} patterns) with beepbrain-embed "
            f"{self.model_version} in {self.seconds:.1f}s; {self.songs_total:,} songs in the catalog"
            + (f"; {self.songs_failed} could not be parsed" if self.songs_failed else "")
        )


def fingerprint(state: dict) -> str:
    import hashlib

    h = hashlib.sha1()
    for name in sorted(state):
        h.update(name.encode())
        h.update(state[name].numpy().tobytes())
    return h.hexdigest()[:16]


def _model(key: str, state: dict, config: dict):
    model = _WORKER_MODELS.get(key)
    if model is None:
        from beepbrain.embed.model import EmbedConfig, PatternEncoder

        model = PatternEncoder(EmbedConfig.from_dict(config))
        model.load_state_dict(state)
        model.eval()
        _WORKER_MODELS.clear()
        _WORKER_MODELS[key] = model
    return model


def embed_chunk(songs: list[tuple[str, str]], tag: str, state: dict, config: dict, key: str = "") -> dict:
    """Pattern and song rows (as Arrow tables) for ``songs`` [(song_id, song string)]; ``key`` names
    the model for the worker's cache (default: a hash of ``state``)."""
    import torch

    from beepbrain.embed.identity import fingerprints
    from beepbrain.embed.vectors import embed_song
    from beepbrain.format import parse_song

    torch.set_num_threads(1)
    model = _model(key or fingerprint(state), state, config)
    dim = model.config.dim
    pat = {name: [] for name in store.pattern_schema(dim).names}
    song_rows = {name: [] for name in store.song_schema(dim).names}
    failed = 0
    for sid, text in songs:
        try:
            song = parse_song(text)
        except Exception:
            failed += 1
            continue
        patterns, vectors, vector = embed_song(model, song)
        for p, v in zip(patterns, vectors, strict=True):
            pat["song_id"].append(sid)
            pat["channel"].append(p.channel)
            pat["pattern"].append(p.pattern)
            pat["is_noise"].append(p.is_noise)
            pat["bars"].append(p.bars)
            pat["vector"].append(v)
        song_rows["song_id"].append(sid)
        song_rows["patterns"].append(len(patterns))
        song_rows["vector"].append(vector)
        song_rows["model_version"].append(tag)
        for column, value in fingerprints(song).items():
            song_rows[column].append(value)
    return {
        "patterns": _table(pat, store.pattern_schema(dim)),
        "songs": _table(song_rows, store.song_schema(dim)),
        "failed": failed,
    }


def _table(cols: dict, schema: pa.Schema) -> pa.Table:
    """Columns as lists (vectors as arrays, None for none) to a table of ``schema``."""
    dim = schema.field("vector").type.list_size
    vectors = cols["vector"]
    flat = (
        np.concatenate([np.zeros(dim, np.float32) if v is None else v for v in vectors])
        if vectors
        else np.zeros(0, np.float32)
    )
    mask = pa.array([v is None for v in vectors], type=pa.bool_())
    arrays = {
        name: pa.array(values, type=schema.field(name).type)
        for name, values in cols.items()
        if name != "vector"
    }
    arrays["vector"] = pa.FixedSizeListArray.from_arrays(pa.array(flat, type=pa.float32()), dim, mask=mask)
    return pa.Table.from_pydict({f.name: arrays[f.name] for f in schema}, schema=schema)


def embed_catalog(
    data_dir, encoder, *, client=None, chunk_size: int = CHUNK_SIZE, progress=None, log=print
) -> EmbedReport:
    """Embed the catalog songs the current model has not embedded yet (see the module docstring)."""
    from beepbrain.embed.corpus import catalog_songs

    t0 = time.perf_counter()
    tag = encoder.tag
    songs = catalog_songs(data_dir)
    legacy = store.legacy_batches(data_dir, tag)
    done = store.embedded_song_ids(data_dir, tag)
    todo = [(sid, text) for sid, text in songs if sid not in done]
    log(f"embed: {len(todo):,} of {len(songs):,} catalog songs to embed with beepbrain-embed {tag}")
    state = {k: v.detach().cpu() for k, v in encoder.model.state_dict().items()}
    config = encoder.model.config.to_dict()
    key = fingerprint(state)
    dim = encoder.model.config.dim
    writer = store.EmbeddingWriter(
        data_dir, tag, time.strftime("%Y%m%d-%H%M%S") + f"-{len(done)}-{uuid.uuid4().hex[:6]}", dim
    )
    chunks = [todo[i : i + chunk_size] for i in range(0, len(todo), chunk_size)]
    finished = failed = 0
    if progress:
        progress("embed", 0, len(todo))
    try:
        if client is None or not chunks:
            results = (embed_chunk(chunk, tag, state, config, key) for chunk in chunks)
        else:
            from distributed import as_completed

            state_future = client.scatter(state, broadcast=True)
            futures = [
                client.submit(embed_chunk, chunk, tag, state_future, config, key, pure=False)
                for chunk in chunks
            ]
            results = (f.result() for f in as_completed(futures))
        for result in results:
            writer.write("patterns", result["patterns"])
            writer.write("songs", result["songs"])
            failed += result["failed"]
            finished += result["songs"].num_rows + result["failed"]
            if progress:
                progress("embed", finished, len(todo))
        writer.commit()
    except BaseException:
        writer.abort()
        raise
    if legacy:
        store.remove_batches(data_dir, tag, legacy)
        log(
            f"embed: replaced {len(legacy)} batch(es) written by an older beepbrain (before song rows had "
            f"notes_hash, or before embed version {store.EMBED_VERSION}, which reads channel octaves as BeepBox does)"
        )
    store.build_views(data_dir, tag, dim)
    return EmbedReport(
        tag, len(songs), writer.rows["songs"], writer.rows["patterns"], failed, time.perf_counter() - t0
    )
