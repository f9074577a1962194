"""Datasets: choose songs, split by content, tokenize (in parallel with Dask), write token shards.

Directory ``DATA_DIR/datasets/NAME/`` (docs/CONTRACTS.md section 3), its files written and read by
`beepbrain.tokens.shards`: ``manifest.json``, ``tokenizer.json``, ``{split}.tokens``, ``{split}.index.npy``,
``{split}.bars.npy``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from beepbrain.archive.records import song_id
from beepbrain.corpus.cluster import dask_client, default_workers
from beepbrain.tokens.conditioning import COND_DIM, Conditioning
from beepbrain.tokens.config import TokenizerConfig
from beepbrain.tokens.load import as_tokenizer, tokenizer_from_dict
from beepbrain.tokens.losses import add_losses, new_losses
from beepbrain.tokens.shards import MANIFEST_FORMAT, write_manifest, write_split
from beepbrain.tokens.splits import SPLITS, assign_split, content_key, fill_empty_splits, group_key

MAX_TRANSPOSE = 12
MAX_OCTAVES = 3
MAX_CHANNEL_VARIANTS = 8


@dataclass
class Encoded:
    """One tokenized song, as a worker hands it back."""

    song_id: str
    key: str  # content key of the stream: equal streams, equal keys
    group: str  # content key of the stream moved to its lowest pitch: transpositions share it
    tokens: np.ndarray
    rhythm: int
    pitch_channels: int
    noise_channels: int
    losses: dict[str, int]
    variants: list[tuple[np.ndarray, Conditioning]] = field(default_factory=list)  # channel augmentation

    @property
    def conditioning(self) -> Conditioning:
        return Conditioning(self.rhythm, self.pitch_channels, self.noise_channels)


@dataclass
class Tokenized:
    """What tokenizing a chunk of songs (or all of them) gave: the songs kept, rejected and silent."""

    encoded: list[Encoded] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (song_id, error)
    silent: list[str] = field(default_factory=list)  # songs that play no note: nothing to learn from

    def extend(self, other: Tokenized) -> None:
        self.encoded += other.encoded
        self.rejected += other.rejected
        self.silent += other.silent


def dataset_dir(data_dir, name: str) -> Path:
    """``DATA_DIR/datasets/NAME``; a name that is not one folder name is a ValueError."""
    if not name or "/" in name or name.startswith("."):
        raise ValueError(f"bad dataset name {name!r}")
    return Path(data_dir) / "datasets" / name


def tokenize_chunk(items: Sequence[tuple[str, object]], spec: dict | str, augment_channels: int = 0) -> Tokenized:
    """Tokenize ``(song_id, song string or Song)`` pairs with the tokenizer ``spec`` describes (its
    ``to_dict()``), plus up to ``augment_channels`` channel variants of each; songs that fail to parse or
    tokenize are rejected with their error (a worker task: plain inputs, plain outputs)."""
    from beepbrain.format import parse_song
    from beepbrain.tokens.augment import channel_variants

    tokenizer = tokenizer_from_dict(json.loads(spec) if isinstance(spec, str) else spec)
    result = Tokenized()
    for sid, song in items:
        try:
            if isinstance(song, str):
                song = parse_song(song)
            encoded = tokenizer.encode(song)
        except Exception as exc:  # noqa: BLE001 - any bad song is reported, never fatal
            result.rejected.append((sid, f"{type(exc).__name__}: {exc}"))
            continue
        if not encoded.losses.get("notes_kept", 0):
            result.silent.append(sid)
            continue
        cond = encoded.conditioning
        variants = []
        for variant in channel_variants(song, augment_channels, seed=sid):
            try:
                more = tokenizer.encode(variant)
            except Exception:  # noqa: BLE001, S112 - a variant that does not tokenize is just not added
                continue
            variants.append((more.tokens, more.conditioning))
        result.encoded.append(Encoded(sid, content_key(encoded.tokens, cond),
                                      group_key(encoded.tokens, cond, tokenizer), encoded.tokens,
                                      cond.rhythm, cond.pitch_channels, cond.noise_channels, encoded.losses,
                                      variants))
    return result


def _chunks(items: Sequence, size: int) -> list[Sequence]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def task_spec(tokenizer) -> str:
    """The tokenizer as a worker task's argument: its settings as JSON text (no vocabulary; a plain string,
    so Dask never mistakes a part of it for a task key)."""
    return json.dumps({k: v for k, v in tokenizer.to_dict().items() if k != "vocab"})


def tokenize_all(items: Sequence[tuple[str, object]], tokenizer, *, dask_address: str | None = None,
                 use_dask: bool = True, workers: int | None = None, chunk_size: int = 64,
                 augment_channels: int = 0, progress: Callable[[str], None] | None = None) -> Tokenized:
    """Tokenize every item with ``tokenizer`` (a tokenizer, or a tick ``TokenizerConfig``): on a Dask
    cluster (``dask_address``, else a LocalCluster of ``workers`` processes, default one per core up to 8)
    or, with ``use_dask=False`` or a single chunk, in this process."""
    tokenizer = as_tokenizer(tokenizer)
    if not 0 <= augment_channels <= MAX_CHANNEL_VARIANTS:
        raise ValueError(f"augment_channels must be in [0, {MAX_CHANNEL_VARIANTS}]")
    spec = task_spec(tokenizer)
    say = progress or (lambda _msg: None)
    chunks = _chunks(list(items), chunk_size)
    total = Tokenized()
    if not use_dask or len(chunks) <= 1:
        for i, chunk in enumerate(chunks, 1):
            total.extend(tokenize_chunk(chunk, spec, augment_channels))
            say(f"tokenized chunk {i}/{len(chunks)}")
        return total
    from dask.distributed import as_completed

    with dask_client(dask_address, workers or min(default_workers(), 8)) as client:
        futures = client.map(tokenize_chunk, chunks, spec=spec, augment_channels=augment_channels, pure=False)
        results: dict[int, Tokenized] = {}
        order = {f.key: i for i, f in enumerate(futures)}
        for done, future in enumerate(as_completed(futures), 1):
            results[order[future.key]] = future.result()
            say(f"tokenized chunk {done}/{len(chunks)}")
    for i in range(len(chunks)):
        total.extend(results[i])
    return total


def _split_streams(items: list[Encoded], tokenizer, transpose: int, counter: list[int], channels: bool = False,
                   octaves: int = 0):
    """The songs of a split, then (``channels``) their channel variants, then (``transpose`` > 0) copies in
    keys +-1..``transpose`` semitones away (``tokenizer.change_key``: the pattern tokenizer's notes stay
    as written, relative to the key), then (``octaves`` > 0) copies with every pitch channel moved
    +-1..``octaves`` octaves where the notes stay in range; counts copies in counter[0]."""
    for item in items:
        yield item.tokens, item.conditioning
    if channels:
        for item in items:
            for tokens, cond in item.variants:
                counter[0] += 1
                yield tokens, cond
    shifts = [s for d in range(1, transpose + 1) for s in (d, -d)]
    for item in items:
        seen = {tokenizer.key_of(item.tokens)}
        for shift in shifts:
            moved = tokenizer.change_key(item.tokens, shift)
            key = tokenizer.key_of(moved) if moved is not None else None
            if moved is not None and (key not in seen or not tokenizer.HAS_HEADER):
                seen.add(key)
                counter[0] += 1
                yield moved, item.conditioning
    for item in items:
        for octave in [s for d in range(1, octaves + 1) for s in (d, -d)]:
            moved = tokenizer.transpose(item.tokens, 12 * octave)
            if moved is not None and not np.array_equal(moved, item.tokens):
                counter[0] += 1
                yield moved, item.conditioning


def write_dataset(encoded: list[Encoded], out_dir, *, name: str, tokenizer,
                  val_fraction: float = 0.05, test_fraction: float = 0.05, augment_transpose: int = 0,
                  augment_octaves: int = 0, rejected: Sequence[tuple[str, str]] = (), silent: Sequence[str] = (),
                  extra: dict | None = None,
                  overwrite: bool = False, fixed_splits: dict[str, str] | None = None,
                  progress: Callable[[str], None] | None = None) -> dict:
    """Split, deduplicate, augment and write tokenized songs as a dataset directory; returns the manifest.
    ``fixed_splits`` ({song_id: split}) overrides the content split, e.g. to give two tokenizers' datasets
    the same test songs (songs it does not name go to train)."""
    say = progress or (lambda _msg: None)
    if not 0 <= val_fraction < 1 or not 0 <= test_fraction < 1 or val_fraction + test_fraction >= 1:
        raise ValueError("val_fraction and test_fraction must be in [0, 1) and sum below 1")
    if not 0 <= augment_transpose <= MAX_TRANSPOSE:
        raise ValueError(f"augment_transpose must be in [0, {MAX_TRANSPOSE}]")
    if not 0 <= augment_octaves <= MAX_OCTAVES:
        raise ValueError(f"augment_octaves must be in [0, {MAX_OCTAVES}]")
    out_dir = Path(out_dir)
    if out_dir.exists() and not overwrite:
        raise FileExistsError(f"dataset {out_dir} exists (use overwrite / --overwrite to replace it)")
    by_key: dict[str, Encoded] = {}
    duplicates = 0
    for item in sorted(encoded, key=lambda e: (e.key, e.song_id)):
        if item.key in by_key:
            duplicates += 1
        else:
            by_key[item.key] = item
    groups: dict[str, list[str]] = {}
    for key in sorted(by_key):
        groups.setdefault(by_key[key].group, []).append(key)
    by_group: dict[str, list[str]] = {s: [] for s in SPLITS}
    for group in sorted(groups):
        by_group[assign_split(group, val_fraction, test_fraction)].append(group)
    fill_empty_splits(by_group, val_fraction, test_fraction)
    assigned = {split: [k for g in by_group[split] for k in groups[g]] for split in SPLITS}
    if fixed_splits is not None:
        assigned = {split: [] for split in SPLITS}
        for key in sorted(by_key):
            assigned[fixed_splits.get(by_key[key].song_id, "train")].append(key)

    losses = add_losses(new_losses(), {})
    for item in encoded:
        add_losses(losses, item.losses)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        splits: dict[str, dict] = {}
        for split in SPLITS:
            items = [by_key[k] for k in sorted(assigned[split])]
            augmented = [0]
            transpose = augment_transpose if split == "train" else 0
            octaves = augment_octaves if split == "train" else 0
            splits[split] = write_split(tmp, split, _split_streams(items, tokenizer, transpose, augmented,
                                                                   channels=split == "train", octaves=octaves))
            splits[split]["augmented_songs"] = augmented[0]
            splits[split]["song_ids"] = sorted(by_key[k].song_id for k in assigned[split])
            say(f"{split}: {splits[split]['songs']} songs, {splits[split]['tokens']} tokens")
        tokenizer.save(tmp / "tokenizer.json")
        manifest = {
            "format": MANIFEST_FORMAT,
            "version": 1,
            "name": name,
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "tokenizer_kind": tokenizer.kind,
            "tokenizer": tokenizer.config.to_dict(),
            "vocab_size": tokenizer.vocab_size,
            "pad_id": tokenizer.pad_id,
            "cond_dim": COND_DIM,
            "ticks_per_beat": getattr(tokenizer.config, "ticks_per_beat", None),
            "splits": splits,
            "split_fractions": {"val": val_fraction, "test": test_fraction},
            "augment_transpose": augment_transpose,
            "augment_octaves": augment_octaves,
            "augment_channels": max((len(e.variants) for e in encoded), default=0),
            "songs_selected": len(encoded) + len(rejected) + len(silent),
            "songs_rejected": len(rejected),
            "songs_silent": len(silent),  # play no note: left out
            "rejected": [{"song_id": s, "error": e} for s, e in list(rejected)[:100]],
            "duplicates_dropped": duplicates,
            "losses": losses,
        }
        manifest.update(extra or {})
        write_manifest(tmp, manifest)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        tmp.rename(out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def build_dataset_from_songs(songs: Iterable, out_dir, name: str | None = None, *,
                             config: TokenizerConfig | None = None, tokenizer=None, augment_transpose: int = 0,
                             augment_channels: int = 0, augment_octaves: int = 0, val_fraction: float = 0.05, test_fraction: float = 0.05,
                             overwrite: bool = False, use_dask: bool = False,
                             fixed_splits: dict[str, str] | None = None,
                             progress: Callable[[str], None] | None = None) -> dict:
    """A dataset straight from songs (``Song`` objects or song strings), skipping the catalog: for tests
    and small experiments. Writes ``out_dir`` itself (the dataset directory); returns the manifest.
    ``tokenizer`` (default: a tick tokenizer of ``config`` if given, else the pattern tokenizer)."""
    from beepbrain.format import BeepBoxFormatError
    from beepbrain.format.parse import song_string

    tokenizer = as_tokenizer(tokenizer if tokenizer is not None else config)
    items: list[tuple[str, object]] = []
    for i, song in enumerate(songs):
        if isinstance(song, str):
            try:  # the catalog's id: of the song string (what follows ``#``)
                sid = song_id(song_string(song))
            except BeepBoxFormatError:  # not a song: rejected when it is parsed, under an id of its text
                sid = song_id(song)
        else:
            sid = f"song-{i}"
        items.append((sid, song))
    result = tokenize_all(items, tokenizer, use_dask=use_dask, augment_channels=augment_channels,
                          progress=progress)
    return write_dataset(result.encoded, out_dir, name=name or Path(out_dir).name, tokenizer=tokenizer,
                         val_fraction=val_fraction, test_fraction=test_fraction,
                         augment_transpose=augment_transpose, augment_octaves=augment_octaves,
                         rejected=result.rejected, silent=result.silent,
                         extra={"sql": None, "corpus_version": None, "source": "songs"},
                         overwrite=overwrite, fixed_splits=fixed_splits, progress=progress)


def select_songs(data_dir, where: str | None = None) -> tuple[list[tuple[str, str]], str, str]:
    """(song_id, data) of the catalog songs matching ``where`` (a SQL predicate on ``songs``, run on a
    read-only connection), the SQL run, and the corpus version (hash of every song id in ``songs``)."""
    import duckdb

    from beepbrain.corpus.readonly import open_read_only

    sql = "SELECT song_id, data FROM songs"
    if where and where.strip():
        try:
            statements = duckdb.extract_statements(f"SELECT 1 FROM songs WHERE ({where})")
        except duckdb.Error as exc:
            raise ValueError(f"--where is not a SQL predicate: {exc}") from exc
        if len(statements) != 1:
            raise ValueError(f"--where must be one SQL predicate, got {where!r}")
        sql += f" WHERE ({where})"
    sql += " ORDER BY song_id"
    with open_read_only(data_dir) as con:  # the --where predicate reads the corpus alone, writes nothing
        try:
            rows = con.execute(sql).fetchall()
        except duckdb.Error as exc:
            raise ValueError(f"song selection failed: {exc}") from exc
        ids = con.execute("SELECT song_id FROM songs ORDER BY song_id").fetchall()
    version = hashlib.sha256("\n".join(r[0] for r in ids).encode()).hexdigest()[:16]
    return [(str(a), str(b)) for a, b in rows], sql, version


def build_dataset(data_dir, name: str, *, where: str | None = None, augment_transpose: int = 0,
                  augment_channels: int = 0, augment_octaves: int = 0, config: TokenizerConfig | None = None, tokenizer=None,
                  val_fraction: float = 0.05,
                  test_fraction: float = 0.05, dask_address: str | None = None, use_dask: bool = True,
                  workers: int | None = None, chunk_size: int = 64, overwrite: bool = False,
                  progress: Callable[[str], None] | None = None) -> dict:
    """Build ``DATA_DIR/datasets/NAME`` from the catalog's songs; returns the manifest."""
    say = progress or (lambda _msg: None)
    data_dir = Path(data_dir)
    out_dir = dataset_dir(data_dir, name)
    if out_dir.exists() and not overwrite:
        raise FileExistsError(f"dataset {out_dir} exists (use --overwrite to replace it)")
    tokenizer = as_tokenizer(tokenizer if tokenizer is not None else config)
    items, sql, version = select_songs(data_dir, where)
    say(f"selected {len(items)} songs")
    if not items:
        raise ValueError(f"no songs match {where!r}" if where else "the catalog holds no songs")
    result = tokenize_all(items, tokenizer, dask_address=dask_address, use_dask=use_dask, workers=workers,
                          chunk_size=chunk_size, augment_channels=augment_channels, progress=progress)
    return write_dataset(result.encoded, out_dir, name=name, tokenizer=tokenizer,
                         val_fraction=val_fraction, test_fraction=test_fraction,
                         augment_transpose=augment_transpose, augment_octaves=augment_octaves,
                         rejected=result.rejected, silent=result.silent,
                         extra={"sql": sql, "where": where, "corpus_version": version,
                                "source": str(data_dir / "corpus.duckdb")},
                         overwrite=overwrite, progress=progress)
