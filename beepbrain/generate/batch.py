"""A batch of songs from a registered model into a folder: what `beepbrain generate` and the flows run."""

from __future__ import annotations

from pathlib import Path

from beepbrain.generate.export import write_batch
from beepbrain.generate.sampling import SamplingConfig
from beepbrain.generate.songs import SongRequest, generate_song
from beepbrain.tokens.protocol import Tokenizer


def load_generator(model_uri: str, tracking_uri: str):
    """(model in eval mode, tokenizer, info) from the MLflow registry."""
    from beepbrain.train.registry import load_model

    # load_model scopes MLflow's global URIs to the block it needs them in: nothing leaks into the process
    model, tokenizer, info = load_model(model_uri, tracking_uri)
    model.eval()
    return model, tokenizer, info


def model_run_id(info: dict) -> str | None:
    """The MLflow run a loaded model came from (``load_generator``'s info): a registered version's run, or
    the run of a ``runs:/RUN_ID/...`` URI; None when neither is known."""
    if info.get("run_id"):
        return info["run_id"]
    uri = info.get("model_uri") or ""
    if not uri.startswith("runs:/"):
        return None
    return uri.removeprefix("runs:/").split("/", 1)[0] or None


def log_piano_rolls_to_model_run(
    info: dict, tracking_uri: str, rows: list[dict], limit: int, warn=print
) -> str:
    """The first ``limit`` generated songs' piano rolls into the model's MLflow run (``piano_rolls/generated``);
    a line saying where, or why not (a failure is ``warn``ed: the songs are written already)."""
    from beepbrain.generate.pianoroll import log_generated_piano_rolls

    if limit <= 0 or not rows:
        return ""
    run_id = model_run_id(info)
    if run_id is None:
        return "piano rolls not logged: the model names no MLflow run"
    try:
        paths = log_generated_piano_rolls(tracking_uri, run_id, rows, limit=limit)
    except Exception as exc:  # noqa: BLE001 - a drawing or store failure must not lose the written songs
        warn(f"piano rolls not logged to MLflow run {run_id}: {type(exc).__name__}: {exc}")
        return ""
    return f"{len(paths)} piano roll(s) in MLflow run {run_id} under piano_rolls/generated/"


def generate_to_dir(
    model,
    tokenizer: Tokenizer,
    request: SongRequest,
    sampling: SamplingConfig,
    count: int,
    out_dir: str | Path,
    *,
    use_cache: bool = True,
    model_uri: str | None = None,
    echo: bool = False,
) -> list[dict]:
    """Generate ``count`` songs (seeds ``sampling.seed + i``) and write each as JSON, MIDI and URL into
    ``out_dir`` as soon as it is done; returns the index rows (files, URL, seed, settings). A seed whose
    song cannot be finished (a bar that takes more than the model's context) is skipped with a line on
    stderr and the next unused seed is tried, up to ``count`` times in all; then the last error is raised."""
    import sys
    import time
    from dataclasses import replace

    from beepbrain.generate.sampling import ContextTooShort

    prefix = time.strftime("song-%Y%m%d-%H%M%S")
    rows = []
    seed = sampling.seed
    skipped = 0
    for i in range(count):
        while True:
            try:
                result = generate_song(
                    model, tokenizer, request, replace(sampling, seed=seed), use_cache=use_cache
                )
                break
            except ContextTooShort as exc:
                skipped += 1
                print(f"seed {seed} skipped: {exc}", file=sys.stderr, flush=True)
                if skipped >= max(count, 1):
                    raise
            finally:
                seed += 1
        meta = {
            "model": model_uri,
            "temperature": sampling.temperature,
            "header_temperature": sampling.header_temperature,
            "top_k": sampling.top_k,
            "top_p": sampling.top_p,
            "prompt": request.prompt is not None,
            "constraints": request.constraints,
        }
        [row] = write_batch([result], out_dir, prefix=prefix, meta=meta, start=i)
        rows.append(row)
        if echo:
            print(
                f"[{i + 1}/{count}] seed {result.seed}: {result.song.bar_count} bars, "
                f"{len(result.tokens)} tokens in {result.seconds:.1f}s -> {row['json']}",
                flush=True,
            )
            print(row["url"], flush=True)
    return rows
