"""Ingest throughput, end to end: songs/s in one process versus on a Dask LocalCluster, and where time goes.

The source is the sample archive grown to ``--records`` records: every round re-posts each record under
another author and, for songs that parse, re-encodes the song with another tempo and key (the codec's
own encoder), so nearly every record is a new, valid, distinct song; records BeepBox rejects stay rejects.
The generated source is cached next to the output, so repeated runs measure ingest only.

    .venv/bin/python benchmarks/ingest_throughput.py --records 50000 --workers 2
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import zstandard

from beepbrain.archive.jsonl import decompressed_chunks, read_jsonl
from beepbrain.archive.sources import sample_archive
from beepbrain.corpus.cluster import dask_client
from beepbrain.corpus.ingest import IngestReport, ingest
from beepbrain.format import BeepBoxFormatError, parse_song


def grow_source(base_path: Path, records: int, out: Path) -> Path:
    """A .jsonl.zst of ``records`` records made from the base archive's (see module docstring)."""
    if out.exists():
        return out
    base = [
        {"author": r.author, "type": r.fork, "content": r.content, "url": r.url, "data": r.data}
        for r in read_jsonl(base_path)
        if r.error is None
    ]
    songs = {}
    for r in base:
        try:
            songs[r["data"]] = parse_song(r["data"])
        except BeepBoxFormatError:
            songs[r["data"]] = None
    tmp = out.with_suffix(".tmp")
    with open(tmp, "wb") as fh, zstandard.ZstdCompressor(level=3).stream_writer(fh) as z:
        for i in range(records):
            r = dict(base[i % len(base)])
            k = i // len(base)
            song = songs[r["data"]]
            if k and song is not None:
                tempo, key = song.tempo, song.key
                song.tempo = 30 + (tempo - 30 + k) % 471  # BeepBox's tempo range is 30-500
                song.key = (key + k) % 12
                r["data"] = song.to_url()
                song.tempo, song.key = tempo, key
            if k:
                r["author"] = f"{r['author']}~{k}"
            z.write((json.dumps(r) + "\n").encode())
    tmp.rename(out)
    return out


def time_reading(path: Path) -> dict[str, float]:
    t0 = time.perf_counter()
    size = sum(len(b) for b in decompressed_chunks(path))
    t1 = time.perf_counter()
    n = sum(1 for _ in read_jsonl(path))
    t2 = time.perf_counter()
    return {"decompress_s": t1 - t0, "decompress_and_json_s": t2 - t1, "bytes": size, "records": n}


def show(label: str, report: IngestReport, extra: float = 0.0) -> None:
    t = report.timings
    wall = t["total"]
    print(
        f"\n{label}: {report.records_read} records in {wall:.1f}s = {report.records_read / wall:,.0f} records/s, "
        f"{report.songs_new / wall:,.0f} new songs/s ({report.songs_new} songs, {report.rejected} rejects, "
        f"{report.duplicates} duplicates){f'; cluster start {extra:.1f}s not included' if extra else ''}"
    )
    print(
        f"  driver (wall):   read = decompress + JSON {t['read']:.1f}s, write Parquet {t['write']:.1f}s, "
        f"check of the stored corpus {t.get('check', 0):.1f}s, catalog {t.get('catalog', 0):.1f}s"
    )
    print(
        f"  parse (CPU, summed over {report.workers} worker(s)): parse_song {t.get('parse', 0):.1f}s, "
        f"rows {t.get('rows', 0):.1f}s, Arrow tables {t.get('arrow', 0):.1f}s; "
        f"CPU time {t.get('worker_cpu', 0):.1f}s of {t.get('worker_wall', 0):.1f}s wall "
        f"({t.get('worker_cpu', 0) / max(t.get('worker_wall', 0), 1e-9):.0%}: below 100% = waiting for a core)"
    )
    print(f"  machine load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"  rows written: {report.rows}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=50_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--chunk-size", type=int, default=500)
    ap.add_argument(
        "--work-dir", default=None, help="where the generated source and corpora go (default: temp)"
    )
    ap.add_argument("--skip-single", action="store_true", help="only the Dask run")
    args = ap.parse_args()

    work = Path(args.work_dir or tempfile.mkdtemp(prefix="beepbrain-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    source = grow_source(sample_archive(), args.records, work / f"archive-{args.records}.jsonl.zst")
    print(
        f"source: {source} ({source.stat().st_size / 1e6:.1f} MB compressed; "
        f"ready in {time.perf_counter() - t0:.1f}s)"
    )
    r = time_reading(source)
    print(
        f"reading alone: decompress {r['decompress_s']:.2f}s ({r['bytes'] / 1e6 / r['decompress_s']:.0f} MB/s), "
        f"decompress + JSON {r['decompress_and_json_s']:.2f}s "
        f"({r['records'] / r['decompress_and_json_s']:,.0f} records/s)"
    )

    if not args.skip_single:
        out = work / "single"
        shutil.rmtree(out, ignore_errors=True)
        show("single process", ingest(source, out, chunk_size=args.chunk_size))

    out = work / "dask"
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    with dask_client(workers=args.workers) as client:
        started = time.perf_counter() - t0
        report = ingest(source, out, client=client, chunk_size=args.chunk_size)
    show(f"Dask LocalCluster, {args.workers} worker processes", report, started)


if __name__ == "__main__":
    main()
