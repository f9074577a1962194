"""The generate flow: new songs from a registered model, written as BeepBox JSON, MIDI and URL, their piano
rolls (the first ``piano_rolls``) logged to the model's MLflow run under ``piano_rolls/generated``.

A table of contents over `beepbrain.generate`; the pipeline flow calls it after training.
"""

from __future__ import annotations

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact

from beepbrain import settings
from beepbrain.generate.pianoroll import GENERATED_LIMIT as PIANO_ROLLS

DEFAULT_MODEL = "models:/beepbrain/latest"


@task(name="generate-songs")
def generate_songs(
    model: str,
    tracking_uri: str,
    request: dict,
    sampling: dict,
    count: int,
    out: str,
    prompt: str | None = None,
    piano_rolls: int = PIANO_ROLLS,
) -> list[dict]:
    """Load the model, sample ``count`` songs (seeds seed, seed+1, ...), write each as it is done; then the
    first ``piano_rolls`` songs' piano rolls into the model's MLflow run."""
    from beepbrain.generate.batch import generate_to_dir, load_generator, log_piano_rolls_to_model_run
    from beepbrain.generate.sampling import SamplingConfig
    from beepbrain.generate.songs import SongRequest

    logger = get_run_logger()
    song = None
    if prompt:
        from beepbrain.generate.prompt import read_prompt

        song = read_prompt(prompt)
    net, tokenizer, info = load_generator(model, tracking_uri)
    logger.info(
        "model %s version %s: %s parameters", model, info.get("version"), f"{info.get('params', 0):,}"
    )
    rows = generate_to_dir(
        net,
        tokenizer,
        SongRequest(**request, prompt=song),
        SamplingConfig(**sampling),
        count,
        out,
        model_uri=model,
    )
    for row in rows:
        logger.info("seed %s: %s", row["seed"], row["url"])
    line = log_piano_rolls_to_model_run(info, tracking_uri, rows, piano_rolls, warn=logger.warning)
    if line:
        logger.info(line)
    return rows


@flow(name="generate", log_prints=True)
def generate_flow(
    model: str = DEFAULT_MODEL,
    data_dir: str | None = None,
    tracking_uri: str | None = None,
    rhythm: int = 1,
    pitch_channels: int = 3,
    drum_channels: int = 1,
    bars: int = 16,
    beats_per_bar: int = 8,
    count: int = 1,
    temperature: float = 1.0,
    top_k: int = 0,
    top_p: float = 1.0,
    seed: int = 0,
    prompt: str | None = None,
    out: str | None = None,
    tempo: int | None = None,
    key: int | None = None,
    scale: int | None = None,
    header_temperature: float | None = None,
    piano_rolls: int = PIANO_ROLLS,
) -> list[dict]:
    """Write ``count`` songs into ``out`` (default DATA_DIR/generated); returns one row per song (URL,
    files, seed, settings). ``tempo``, ``key``, ``scale``: fixed header values (pattern-tokenizer models;
    None lets the model choose). The first ``piano_rolls`` songs (0: none) are drawn into the model's
    MLflow run under ``piano_rolls/generated``."""
    data = settings.data_dir(data_dir)
    uri = settings.tracking_uri(data, tracking_uri)
    out = out or str(data / "generated")
    request = {
        "rhythm": rhythm,
        "pitch_channels": pitch_channels,
        "drum_channels": drum_channels,
        "bars": bars,
        "beats_per_bar": beats_per_bar,
        "tempo": tempo,
        "key": key,
        "scale": scale,
    }
    sampling = {
        "temperature": temperature,
        "top_k": top_k,
        "top_p": top_p,
        "seed": seed,
        "header_temperature": header_temperature,
    }
    rows = generate_songs(model, uri, request, sampling, count, out, prompt, piano_rolls)
    links = "\n".join(
        f"- seed {r['seed']}: [open in BeepBox]({r['url']}) — `{r['json']}`, `{r['midi']}`" for r in rows
    )
    create_markdown_artifact(
        key="generated-songs",
        markdown=f"# Generated songs\n\n{links}\n",
        description=f"{count} song(s) from {model}",
    )
    return rows


if __name__ == "__main__":
    settings.configure_prefect_env()
    for row in generate_flow():
        print(row["url"])
