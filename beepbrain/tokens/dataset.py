"""Datasets: the catalog's songs (or any songs) as a dataset directory, in four jobs, each a module of its
own (``flows/dataset.py`` runs them as its tasks, in this order):

1. which songs: a read-only SQL selection on the catalog (``tokens/select.py``);
2. songs to token streams, in parallel on Dask (``tokens/encoding.py``);
3. duplicates dropped and splits assigned by content (``tokens/splits.py``), the train split's augmented
   copies added (``tokens/augment.py``);
4. the files written: token shards, index, bar lines and manifest (``tokens/shards.py``, docs/CONTRACTS.md
   section 3), all at once (a directory renamed into place).

``write_dataset`` is jobs 3 and 4; ``build_dataset`` (from the catalog) and ``build_dataset_from_songs`` (from
songs, for tests and experiments) are all four.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from beepbrain.archive.records import song_id
from beepbrain.tokens.augment import MAX_OCTAVES, MAX_TRANSPOSE, split_streams
from beepbrain.tokens.conditioning import COND_DIM
from beepbrain.tokens.encoding import MAX_CHANNEL_VARIANTS, Encoded, Tokenized, task_spec, tokenize_all
from beepbrain.tokens.load import as_tokenizer
from beepbrain.tokens.losses import add_losses, new_losses
from beepbrain.tokens.protocol import Tokenizer
from beepbrain.tokens.select import select_songs
from beepbrain.tokens.shards import MANIFEST_FORMAT, write_manifest, write_split
from beepbrain.tokens.splits import SPLITS, assign_splits, dedupe
from beepbrain.tokens.tick_config import TickTokenizerConfig

__all__ = [
    "MAX_CHANNEL_VARIANTS",
    "MAX_OCTAVES",
    "MAX_TRANSPOSE",
    "Encoded",
    "Tokenized",
    "build_dataset",
    "build_dataset_from_songs",
    "dataset_dir",
    "select_songs",
    "task_spec",
    "tokenize_all",
    "write_dataset",
]


def dataset_dir(data_dir, name: str) -> Path:
    """``DATA_DIR/datasets/NAME``; a name that is not one folder name is a ValueError."""
    if not name or "/" in name or name.startswith("."):
        raise ValueError(f"bad dataset name {name!r}")
    return Path(data_dir) / "datasets" / name


def write_dataset(
    encoded: list[Encoded],
    out_dir,
    *,
    name: str,
    tokenizer: Tokenizer,
    val_fraction: float = 0.05,
    test_fraction: float = 0.05,
    augment_transpose: int = 0,
    augment_octaves: int = 0,
    rejected: Sequence[tuple[str, str]] = (),
    silent: Sequence[str] = (),
    extra: dict | None = None,
    overwrite: bool = False,
    fixed_splits: dict[str, str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict:
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
    by_key, duplicates = dedupe(encoded)
    assigned = assign_splits(by_key, val_fraction, test_fraction, fixed_splits)
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
            splits[split] = write_split(
                tmp,
                split,
                split_streams(
                    items, tokenizer, transpose, augmented, channels=split == "train", octaves=octaves
                ),
            )
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


def build_dataset_from_songs(
    songs: Iterable,
    out_dir,
    name: str | None = None,
    *,
    config: TickTokenizerConfig | None = None,
    tokenizer: Tokenizer | None = None,
    augment_transpose: int = 0,
    augment_channels: int = 0,
    augment_octaves: int = 0,
    val_fraction: float = 0.05,
    test_fraction: float = 0.05,
    overwrite: bool = False,
    use_dask: bool = False,
    fixed_splits: dict[str, str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict:
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
    result = tokenize_all(
        items, tokenizer, use_dask=use_dask, augment_channels=augment_channels, progress=progress
    )
    return write_dataset(
        result.encoded,
        out_dir,
        name=name or Path(out_dir).name,
        tokenizer=tokenizer,
        val_fraction=val_fraction,
        test_fraction=test_fraction,
        augment_transpose=augment_transpose,
        augment_octaves=augment_octaves,
        rejected=result.rejected,
        silent=result.silent,
        extra={"sql": None, "corpus_version": None, "source": "songs"},
        overwrite=overwrite,
        fixed_splits=fixed_splits,
        progress=progress,
    )


def build_dataset(
    data_dir,
    name: str,
    *,
    where: str | None = None,
    augment_transpose: int = 0,
    augment_channels: int = 0,
    augment_octaves: int = 0,
    config: TickTokenizerConfig | None = None,
    tokenizer: Tokenizer | None = None,
    val_fraction: float = 0.05,
    test_fraction: float = 0.05,
    dask_address: str | None = None,
    use_dask: bool = True,
    workers: int | None = None,
    chunk_size: int = 64,
    overwrite: bool = False,
    progress: Callable[[str], None] | None = None,
) -> dict:
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
    result = tokenize_all(
        items,
        tokenizer,
        dask_address=dask_address,
        use_dask=use_dask,
        workers=workers,
        chunk_size=chunk_size,
        augment_channels=augment_channels,
        progress=progress,
    )
    return write_dataset(
        result.encoded,
        out_dir,
        name=name,
        tokenizer=tokenizer,
        val_fraction=val_fraction,
        test_fraction=test_fraction,
        augment_transpose=augment_transpose,
        augment_octaves=augment_octaves,
        rejected=result.rejected,
        silent=result.silent,
        extra={
            "sql": sql,
            "where": where,
            "corpus_version": version,
            "source": str(data_dir / "corpus.duckdb"),
        },
        overwrite=overwrite,
        progress=progress,
    )
