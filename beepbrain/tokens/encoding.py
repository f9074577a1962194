"""Songs to token streams, in parallel: each song parsed and tokenized (with its channel variants) on a Dask
worker, or in this process; what comes back is the songs kept (``Encoded``, with their content keys for the
splits), the songs rejected and the songs that play no note (``Tokenized``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from beepbrain.corpus.cluster import dask_client, default_workers
from beepbrain.tokens.conditioning import Conditioning
from beepbrain.tokens.load import as_tokenizer, tokenizer_from_dict
from beepbrain.tokens.protocol import Tokenizer
from beepbrain.tokens.splits import content_key, group_key
from beepbrain.tokens.tick_config import TickTokenizerConfig

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


def tokenize_chunk(
    items: Sequence[tuple[str, object]], spec: dict | str, augment_channels: int = 0
) -> Tokenized:
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
        result.encoded.append(
            Encoded(
                sid,
                content_key(encoded.tokens, cond),
                group_key(encoded.tokens, cond, tokenizer),
                encoded.tokens,
                cond.rhythm,
                cond.pitch_channels,
                cond.noise_channels,
                encoded.losses,
                variants,
            )
        )
    return result


def _chunks(items: Sequence, size: int) -> list[Sequence]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def task_spec(tokenizer: Tokenizer) -> str:
    """The tokenizer as a worker task's argument: its settings as JSON text (no vocabulary; a plain string,
    so Dask never mistakes a part of it for a task key)."""
    return json.dumps({k: v for k, v in tokenizer.to_dict().items() if k != "vocab"})


def tokenize_all(
    items: Sequence[tuple[str, object]],
    tokenizer: Tokenizer | TickTokenizerConfig,
    *,
    dask_address: str | None = None,
    use_dask: bool = True,
    workers: int | None = None,
    chunk_size: int = 64,
    augment_channels: int = 0,
    progress: Callable[[str], None] | None = None,
) -> Tokenized:
    """Tokenize every item with ``tokenizer`` (a tokenizer, or a ``TickTokenizerConfig``): on a Dask
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
