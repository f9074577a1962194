"""A batch of songs from a registered model into a folder: what `beepbrain generate` and the flows run."""

from __future__ import annotations

from pathlib import Path

from beepbrain.generate.export import write_batch
from beepbrain.generate.sampling import SamplingConfig
from beepbrain.generate.songs import SongRequest, generate_song


def load_generator(model_uri: str, tracking_uri: str):
    """(model in eval mode, tokenizer, info) from the MLflow registry."""
    from beepbrain.train.registry import load_model

    # load_model scopes MLflow's global URIs to the block it needs them in: nothing leaks into the process
    model, tokenizer, info = load_model(model_uri, tracking_uri)
    model.eval()
    return model, tokenizer, info


def generate_to_dir(model, tokenizer, request: SongRequest, sampling: SamplingConfig, count: int,
                    out_dir: str | Path, *, use_cache: bool = True, model_uri: str | None = None,
                    echo: bool = False) -> list[dict]:
    """Generate ``count`` songs (seeds ``sampling.seed + i``) and write each as JSON, MIDI and URL into
    ``out_dir`` as soon as it is done; returns the index rows (files, URL, seed, settings)."""
    import time
    from dataclasses import replace

    prefix = time.strftime("song-%Y%m%d-%H%M%S")
    rows = []
    for i in range(count):
        result = generate_song(model, tokenizer, request, replace(sampling, seed=sampling.seed + i),
                               use_cache=use_cache)
        meta = {"model": model_uri, "temperature": sampling.temperature,
                "header_temperature": sampling.header_temperature, "top_k": sampling.top_k,
                "top_p": sampling.top_p, "prompt": request.prompt is not None}
        [row] = write_batch([result], out_dir, prefix=prefix, meta=meta, start=i)
        rows.append(row)
        if echo:
            print(f"[{i + 1}/{count}] seed {result.seed}: {result.song.bar_count} bars, "
                  f"{len(result.tokens)} tokens in {result.seconds:.1f}s -> {row['json']}", flush=True)
            print(row["url"], flush=True)
    return rows
