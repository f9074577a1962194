"""Peak memory of `ingest` on hostile archives: a zstd bomb whose one line decompresses to 2 GB, a file of
1 GB without a newline, and a 200 MB line; against an ordinary small source in the same process.

Each case runs in its own process: the process first ingests a two-record source (imports, catalog, check),
then the hostile one; the figure is how far the peak RSS rose during the hostile ingest.

    python benchmarks/hostile_memory.py [--sizes-mb 2048,1024,200] [--limit-mb 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import zstandard

CHILD = textwrap.dedent("""
    import json, resource, sys, time
    from beepbrain.corpus.ingest import ingest
    ingest(sys.argv[3], sys.argv[2] + "-warm")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    report = ingest(sys.argv[1], sys.argv[2])
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"before_mb": before / 1024, "peak_mb": peak / 1024, "seconds": seconds,
                      "rejects": report.rejects_by_stage, "records": report.records_read,
                      "balanced": report.balanced}))
""")


def record(author: str) -> bytes:
    from beepbrain.format.new import new_song

    data = new_song().to_url()
    return (json.dumps({"author": author, "type": "beepbox", "data": data}) + "\n").encode()


def write_case(path: Path, size_mb: int, newline: bool, compress: bool) -> None:
    block = b"A" * (1 << 20)
    with open(path, "wb") as fh:
        out = zstandard.ZstdCompressor(level=3).stream_writer(fh) if compress else fh
        if newline:
            out.write(record("first"))
            out.write(b'{"author": "bomb", "data": "')
        for _ in range(size_mb):
            out.write(block)
        if newline:
            out.write(b'"}\n' + record("last"))
        if compress:
            out.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes-mb", default="2048,1024,200")
    parser.add_argument("--limit-mb", type=float, default=None, help="BEEPBRAIN_MAX_RECORD_BYTES in MB")
    args = parser.parse_args()
    bomb, flat, line = (int(x) for x in args.sizes_mb.split(","))
    env = dict(os.environ)
    if args.limit_mb:
        env["BEEPBRAIN_MAX_RECORD_BYTES"] = str(int(args.limit_mb * (1 << 20)))
    cases = [
        (f"zstd bomb: one line of {bomb:,} MB", bomb, True, True),
        (f"no newline at all: {flat:,} MB (plain .jsonl)", flat, False, False),
        (f"one line of {line:,} MB (zstd)", line, True, True),
    ]
    print(f"{'case':48} {'file':>10} {'peak rise':>10} {'time':>7}  result")
    with tempfile.TemporaryDirectory(prefix="beepbrain-hostile-") as tmp:
        tmp = Path(tmp)
        small = tmp / "small.jsonl"
        small.write_bytes(record("a") + record("b"))
        for i, (name, size, newline, compress) in enumerate(cases):
            source = tmp / (f"case{i}.jsonl.zst" if compress else f"case{i}.jsonl")
            write_case(source, size, newline, compress)
            t0 = time.perf_counter()
            out = subprocess.run(
                [sys.executable, "-c", CHILD, str(source), str(tmp / f"data{i}"), str(small)],
                capture_output=True,
                text=True,
                env=env,
            )
            if out.returncode != 0:
                print(f"{name:48} FAILED: {out.stderr.strip().splitlines()[-1]}")
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            file_size = source.stat().st_size
            print(
                f"{name:48} {file_size / 1e6:8.2f}MB {r['peak_mb'] - r['before_mb']:8.1f}MB "
                f"{r['seconds']:6.1f}s  {r['records']} records, rejects {r['rejects']}, "
                f"balanced {r['balanced']} (baseline peak {r['before_mb']:.0f} MB; "
                f"wall {time.perf_counter() - t0:.0f}s)"
            )
            source.unlink()


if __name__ == "__main__":
    main()
