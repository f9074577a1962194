"""What tokenization keeps and loses over a set of songs, and which chord shapes the songs use."""

from __future__ import annotations

import io
import json
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

from beepbrain.tokens.load import as_tokenizer, tokenizer_from_dict
from beepbrain.tokens.losses import add_losses, new_losses
from beepbrain.tokens.protocol import Tokenizer
from beepbrain.tokens.tick_config import TickTokenizerConfig


def read_song_strings(path) -> Iterator[tuple[str, str]]:
    """(id, song string) from a .jsonl / .jsonl.zst file of archive records (field ``data``) or a text
    file with one song string or URL a line."""
    from beepbrain.archive.records import song_id

    path = Path(path)
    with open(path, "rb") as raw:
        if raw.read(4) == b"\x28\xb5\x2f\xfd":
            import zstandard

            raw.seek(0)
            stream = io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(raw), encoding="utf-8")
        else:
            raw.seek(0)
            stream = io.TextIOWrapper(raw, encoding="utf-8")
        for line in stream:
            line = line.strip()
            if not line:
                continue
            data = line
            if line.startswith("{"):
                try:
                    data = json.loads(line).get("data") or ""
                except (json.JSONDecodeError, AttributeError):
                    data = ""
            yield song_id(line), data


def stats_chunk(items: Sequence[tuple[str, str]], spec: dict | str) -> dict:
    """Tokenize songs and count losses, tokens, and chord shapes (a worker task; ``spec`` is the
    tokenizer's ``to_dict()``)."""
    from beepbrain.format import parse_song

    tokenizer = tokenizer_from_dict(json.loads(spec) if isinstance(spec, str) else spec)
    out = {
        "songs": 0,
        "rejected": 0,
        "silent": 0,
        "tokens": 0,
        "bars": 0,
        "losses": new_losses(),
        "pitch_shapes": Counter(),
        "drum_shapes": Counter(),
        "errors": Counter(),
    }
    for _song_id, data in items:
        try:
            song = parse_song(data)
            encoded = tokenizer.encode(song)
        except Exception as exc:  # noqa: BLE001 - counted, never fatal
            out["rejected"] += 1
            out["errors"][f"{type(exc).__name__}: {str(exc)[:60]}"] += 1
            continue
        out["songs"] += 1
        out["silent"] += not encoded.losses.get("notes_kept", 0)  # datasets leave these out
        out["tokens"] += len(encoded.tokens)
        out["bars"] += encoded.bars
        add_losses(out["losses"], encoded.losses)
        for c in range(song.channel_count):
            shapes = out["drum_shapes"] if song.is_noise_channel(c) else out["pitch_shapes"]
            for b in range(encoded.bars):
                pattern = song.pattern_at(c, b)
                for note in pattern.notes if pattern else ():
                    pitches = sorted(set(note.pitches))
                    shapes[tuple(p - pitches[0] for p in pitches[1:])] += 1
    return out


def merge_stats(parts: Sequence[dict], tokenizer: Tokenizer | TickTokenizerConfig | None) -> dict:
    tokenizer = as_tokenizer(tokenizer)
    total = {"songs": 0, "rejected": 0, "silent": 0, "tokens": 0, "bars": 0, "losses": new_losses()}
    pitch, drum, errors = Counter(), Counter(), Counter()
    for part in parts:
        for key in ("songs", "rejected", "silent", "tokens", "bars"):
            total[key] += part[key]
        add_losses(total["losses"], part["losses"])
        pitch.update(part["pitch_shapes"])
        drum.update(part["drum_shapes"])
        errors.update(part["errors"])
    listed = tokenizer.listed_shapes
    # without a shape list (the pattern tokenizer: chords of up to four pitches), every shape has tokens
    listed_pitch, listed_drum = listed if listed is not None else (set(pitch), set(drum))

    def shape_report(counts: Counter, listed: set) -> dict:
        notes = sum(counts.values())
        covered = sum(n for s, n in counts.items() if s in listed)
        return {
            "notes": notes,
            "distinct": len(counts),
            "covered_notes": covered,
            "coverage": covered / notes if notes else 1.0,
            "top": [{"shape": list(s), "notes": n, "listed": s in listed} for s, n in counts.most_common(25)],
            "top_unlisted": [
                {"shape": list(s), "notes": n} for s, n in counts.most_common() if s not in listed
            ][:10],
        }

    total["pitch_shapes"] = shape_report(pitch, listed_pitch)
    total["drum_shapes"] = shape_report(drum, listed_drum)
    total["errors"] = dict(errors.most_common(10))
    total["tokenizer"] = tokenizer.kind
    total["vocab_size"] = tokenizer.vocab_size
    total["tokens_per_song"] = total["tokens"] / total["songs"] if total["songs"] else 0.0
    return total


def corpus_stats(
    items: Sequence[tuple[str, str]],
    config=None,
    *,
    dask_address: str | None = None,
    use_dask: bool = False,
    chunk_size: int = 64,
    progress=None,
) -> dict:
    """Losses and chord-shape coverage of a tokenizer (``config``: a tokenizer, a ``TickTokenizerConfig``,
    or None for the pattern tokenizer) over ``(id, song string)`` items."""
    from beepbrain.tokens.encoding import task_spec

    tokenizer = as_tokenizer(config)
    spec = task_spec(tokenizer)
    chunks = [items[i : i + chunk_size] for i in range(0, len(items), chunk_size)]
    say = progress or (lambda _msg: None)
    if not use_dask or len(chunks) <= 1:
        parts = []
        for i, chunk in enumerate(chunks, 1):
            parts.append(stats_chunk(chunk, spec))
            say(f"chunk {i}/{len(chunks)}")
        return merge_stats(parts, tokenizer)
    from beepbrain.corpus.cluster import dask_client, default_workers

    with dask_client(dask_address, min(default_workers(), 8)) as client:
        futures = client.map(stats_chunk, chunks, spec=spec, pure=False)
        parts = client.gather(futures)
    return merge_stats(parts, tokenizer)


def format_stats(stats: dict) -> str:
    """A plain-text report."""
    losses = stats["losses"]
    notes = losses["notes"] or 1
    lines = [
        f"{stats.get('tokenizer', 'tick')} tokenizer: songs tokenized: {stats['songs']}   "
        f"rejected: {stats['rejected']}   silent (no note; datasets leave them out): {stats['silent']}   "
        f"vocabulary: {stats['vocab_size']}",
        f"tokens: {stats['tokens']:,}   bars: {stats['bars']:,}   tokens per song: {stats['tokens_per_song']:,.0f}",
        "",
        f"{'counter':<28}{'count':>10}{'% of notes':>12}",
    ]
    for key, value in losses.items():
        pct = "" if key.startswith(("bars_", "instrument")) else f"{100 * value / notes:.2f}"
        lines.append(f"{key:<28}{value:>10,}{pct:>12}")
    for kind in ("pitch_shapes", "drum_shapes"):
        r = stats[kind]
        lines.append("")
        lines.append(
            f"{kind.replace('_', ' ')}: {r['distinct']} distinct over {r['notes']:,} notes; "
            f"listed shapes cover {100 * r['coverage']:.2f}% of notes"
        )
        top = ", ".join(f"{tuple(t['shape'])}:{t['notes']}" for t in r["top"][:12])
        lines.append(f"  most used: {top}")
        if r["top_unlisted"]:
            lines.append(
                "  most used without a token: "
                + ", ".join(f"{tuple(t['shape'])}:{t['notes']}" for t in r["top_unlisted"])
            )
    if stats["errors"]:
        lines.append("")
        lines.append(
            "rejected songs, by error: " + "; ".join(f"{k} ({v})" for k, v in stats["errors"].items())
        )
    return "\n".join(lines)
