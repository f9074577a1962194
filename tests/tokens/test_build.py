"""Datasets from the catalog: the library on a Dask LocalCluster, the Prefect flow, the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

from beepbrain.tokens import WindowLoader
from beepbrain.tokens.dataset import build_dataset, build_dataset_from_songs
from beepbrain.tokens.splits import SPLITS


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory, corpus_path):
    from beepbrain.corpus.ingest import ingest

    data = tmp_path_factory.mktemp("data")
    report = ingest(corpus_path, data)
    assert report.songs_new > 100
    return data


def catalog_strings(data_dir, where: str | None = None) -> list[str]:
    from beepbrain.corpus.catalog import open_catalog

    con = open_catalog(data_dir)
    try:
        sql = "SELECT data FROM songs" + (f" WHERE {where}" if where else "")
        return [r[0] for r in con.execute(sql).fetchall()]
    finally:
        con.close()


@pytest.mark.slow
def test_build_on_dask_matches_in_process(data_dir, tmp_path):
    manifest = build_dataset(data_dir, "dask", use_dask=True, workers=2, chunk_size=32)
    out = data_dir / "datasets" / "dask"
    assert manifest["sql"] == "SELECT song_id, data FROM songs ORDER BY song_id"
    assert len(manifest["corpus_version"]) == 16
    assert manifest["songs_selected"] == len(catalog_strings(data_dir))
    same = build_dataset_from_songs(catalog_strings(data_dir), tmp_path / "local")
    for split in SPLITS:
        assert (out / f"{split}.tokens").read_bytes() == (tmp_path / "local" / f"{split}.tokens").read_bytes()
        assert manifest["splits"][split]["songs"] == same["splits"][split]["songs"]
    assert manifest["losses"] == same["losses"]
    x, y, cond = WindowLoader(out, "train", block_size=256, batch_size=4).get_batch(0)
    assert x.shape == (4, 256)
    from beepbrain.tokens.dataset import select_songs
    from beepbrain.tokens.stats import corpus_stats

    items = select_songs(data_dir)[0]
    on_dask = corpus_stats(items, use_dask=True, chunk_size=32)
    assert on_dask == corpus_stats(items)
    # the dataset leaves out songs that play no note: the same notes, fewer trimmed bars
    assert on_dask["silent"] == manifest["songs_silent"] > 0
    notes = {k: v for k, v in manifest["losses"].items() if k.startswith("notes")}
    assert notes == {k: v for k, v in on_dask["losses"].items() if k.startswith("notes")}


def test_where_selects_and_is_recorded(data_dir):
    where = "rhythm = 1 AND noise_channels > 0"
    manifest = build_dataset(data_dir, "std", where=where, use_dask=False)
    assert manifest["where"] == where and where in manifest["sql"]
    expected = len(catalog_strings(data_dir, where))
    assert 0 < manifest["songs_selected"] == expected < len(catalog_strings(data_dir))
    out = data_dir / "datasets" / "std"
    for split in SPLITS:
        index = np.load(out / f"{split}.index.npy")
        assert (index["rhythm"] == 1).all() and (index["noise_channels"] > 0).all()


@pytest.mark.parametrize("where", ["1=1; DROP VIEW songs", "no_such_column = 1", "rhythm ="])
def test_bad_where_is_refused(data_dir, where):
    with pytest.raises(ValueError):
        build_dataset(data_dir, "bad", where=where, use_dask=False)
    assert not (data_dir / "datasets" / "bad").exists()
    assert len(catalog_strings(data_dir)) > 100  # nothing was dropped


def test_where_cannot_write(data_dir):
    """The predicate runs on a read-only connection."""
    with pytest.raises(ValueError):
        build_dataset(
            data_dir, "w", where="(SELECT count(*) FROM (CREATE TABLE x AS SELECT 1)) > 0", use_dask=False
        )
    with pytest.raises(ValueError, match="no songs match"):
        build_dataset(data_dir, "none", where="rhythm = 99", use_dask=False)


@pytest.mark.slow
def test_flow(data_dir, prefect_harness):
    from flows.dataset import build_dataset_flow

    manifest = build_dataset_flow(
        name="flowed", data_dir=str(data_dir), where="pitch_channels <= 3", augment_transpose=1, workers=0
    )
    out = data_dir / "datasets" / "flowed"
    assert json.loads((out / "manifest.json").read_text()) == manifest
    assert manifest["splits"]["train"]["augmented_songs"] > 0
    assert manifest["where"] == "pitch_channels <= 3"


def test_cli(data_dir, capsys):
    from beepbrain.cli import main

    assert (
        main(
            [
                "dataset",
                "build",
                "--data-dir",
                str(data_dir),
                "--name",
                "cli",
                "--no-prefect",
                "--workers",
                "0",
                "--where",
                "bar_count >= 4",
            ]
        )
        == 0
    )
    assert "train" in capsys.readouterr().out
    assert (
        main(
            [
                "dataset",
                "build",
                "--data-dir",
                str(data_dir),
                "--name",
                "cli",
                "--no-prefect",
                "--workers",
                "0",
            ]
        )
        == 2
    )  # exists: refused
    assert "exists" in capsys.readouterr().err
    assert main(["dataset", "info", "cli", "--data-dir", str(data_dir), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["name"] == "cli"
    assert main(["dataset", "stats", "--data-dir", str(data_dir), "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["songs"] == len(catalog_strings(data_dir))
    assert stats["losses"]["notes_exact"] + stats["losses"]["notes_altered"] == stats["losses"]["notes_kept"]
    assert (
        main(
            [
                "dataset",
                "build",
                "--data-dir",
                str(data_dir),
                "--name",
                "x",
                "--no-prefect",
                "--workers",
                "0",
                "--where",
                "nope(",
            ]
        )
        == 2
    )


def test_cli_stats_on_a_file(corpus_path, capsys):
    from beepbrain.cli import main

    assert main(["dataset", "stats", "--source", str(corpus_path)]) == 0
    out = capsys.readouterr().out
    assert "notes_exact" in out and "pitch shapes" in out


@pytest.mark.slow
def test_flow_triggers_training(data_dir, prefect_harness, capsys):
    from beepbrain import settings
    from beepbrain.cli import main
    from beepbrain.train.registry import load_model

    assert (
        main(
            [
                "dataset",
                "build",
                "--data-dir",
                str(data_dir),
                "--name",
                "then-train",
                "--workers",
                "0",
                "--where",
                "pitch_channels <= 3",
                "--then-train",
                "tiny",
                "--train-steps",
                "3",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "trained: run" in out
    version = out.split("model version ")[1].split()[0]
    model, tokenizer, info = load_model(
        f"models:/beepbrain/{version}", tracking_uri=settings.tracking_uri(data_dir)
    )
    assert info["manifest"]["name"] == "then-train" and tokenizer.vocab_size == model.config.vocab_size
    # the library path cannot trigger a flow: refused with a clear message, nothing built
    assert (
        main(
            [
                "dataset",
                "build",
                "--data-dir",
                str(data_dir),
                "--name",
                "nope",
                "--no-prefect",
                "--then-train",
                "tiny",
            ]
        )
        == 2
    )
    assert "--then-train" in capsys.readouterr().err
    assert not (data_dir / "datasets" / "nope").exists()
