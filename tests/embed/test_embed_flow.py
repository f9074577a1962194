"""The embedding model end to end: the flow trains and registers it, `embed` fills the views (on Dask)
and only adds new songs on a re-run, `similar` answers from DuckDB and ranks a song's transposed copy
first, and the Fréchet distance puts held-out songs nearer the train songs than random notes."""

from __future__ import annotations

import json

import pytest

from beepbrain import settings

pytestmark = pytest.mark.slow

TRAIN = {"steps": 16, "batch_size": 64, "checkpoint_interval": 8}
COPIES = 20
RESAVES = 3


def _run_cli(capsys, *argv) -> tuple[int, str, str]:
    from beepbrain.cli import main

    capsys.readouterr()
    rc = main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, corpus_path, prefect_harness):
    """A data dir with the test archive ingested and a small embedding model trained by the flow."""
    from beepbrain.corpus.ingest import ingest
    from flows.embed import train_embed_flow

    data = tmp_path_factory.mktemp("embed")
    ingest(corpus_path, data)
    uri = settings.tracking_uri(data)
    trained = train_embed_flow(data_dir=str(data), config=TRAIN, tracking_uri=uri)
    return data, uri, trained


@pytest.fixture(scope="module")
def copies(corpus, tmp_path_factory):
    """(original id, copy id, original text) for COPIES songs with a +2-semitone copy by another author,
    the .jsonl source that holds the copies, and (original id, re-save id) for RESAVES of those songs
    saved again in another scale (the same notes and arrangement) by a third author."""
    from beepbrain.archive.records import song_id
    from beepbrain.corpus.catalog import open_catalog
    from beepbrain.embed.songs import transpose_song
    from beepbrain.format import parse_song

    data, _uri, _trained = corpus
    with open_catalog(data) as con:
        songs = con.execute(
            "SELECT song_id, data FROM songs WHERE pitch_channels > 0 ORDER BY song_id"
        ).fetchall()
    pairs, lines, resaves = [], [], []
    for sid, text in songs:
        song = parse_song(text)
        if not any(
            p.notes for c, ch in enumerate(song.channels) if not song.is_noise_channel(c) for p in ch.patterns
        ):
            continue
        up = transpose_song(song, 2)
        if up is None:
            continue
        copy = up.to_url()
        pairs.append((sid, song_id(copy), text))
        lines.append(
            json.dumps(
                {
                    "author": "someone-else",
                    "type": "beepbox",
                    "content": "",
                    "url": "https://www.beepbox.co/#" + copy,
                    "data": copy,
                }
            )
        )
        if len(resaves) < RESAVES:
            song.scale = 1 if song.scale != 1 else 0  # not in the arrangement `similar` breaks ties by
            again = song.to_url()
            resaves.append((sid, song_id(again)))
            lines.append(
                json.dumps(
                    {
                        "author": "re-saver",
                        "type": "beepbox",
                        "content": "",
                        "url": "https://www.beepbox.co/#" + again,
                        "data": again,
                    }
                )
            )
        if len(pairs) == COPIES:
            break
    source = tmp_path_factory.mktemp("copies") / "copies.jsonl"
    source.write_text("\n".join(lines) + "\n")
    return pairs, source, resaves


@pytest.fixture(scope="module")
def embedded(corpus, copies):
    """The corpus with the copies ingested and every song embedded (a no-op after the incremental test)."""
    from beepbrain.cli import main
    from beepbrain.corpus.ingest import ingest

    ingest(copies[1], corpus[0])
    assert main(["embed", "--data-dir", str(corpus[0]), "--workers", "0", "--json"]) == 0
    return corpus


def test_flow_trains_and_registers_a_model_of_plain_files(corpus):
    from mlflow.tracking import MlflowClient

    from beepbrain.embed.registry import REGISTERED_NAME, load_encoder

    data, uri, trained = corpus
    assert trained["version"] == "1" and trained["steps"] == TRAIN["steps"] and trained["patterns"] > 1000
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    run = client.get_run(trained["run_id"])
    assert run.info.status == "FINISHED" and run.data.params["steps"] == str(TRAIN["steps"])
    history = client.get_metric_history(trained["run_id"], "train_loss")
    assert len(history) == TRAIN["steps"] and history[-1].value < history[0].value
    assert {a.path for a in client.list_artifacts(trained["run_id"], "checkpoints")} == {
        "checkpoints/step-000008",
        "checkpoints/step-000016",
    }
    files = {a.path for a in client.list_artifacts(trained["run_id"], "embed-model")}
    # no pickled code; holdout.json: the songs it was trained without (no dataset here: none)
    assert files == {"embed-model/weights.pt", "embed-model/config.json", "embed-model/holdout.json"}
    version = client.get_model_version(REGISTERED_NAME, "1")
    assert version.run_id == trained["run_id"]
    loaded = load_encoder(uri)
    assert loaded.version == "1" and loaded.tag == "v1" and loaded.model.config.dim == 256
    assert loaded.held_out == frozenset() and run.data.params["data.held_out_songs"] == "0"


def test_embed_fills_the_views_on_dask_and_adds_only_new_songs(corpus, copies, capsys):
    from beepbrain.corpus.catalog import open_catalog
    from beepbrain.corpus.ingest import ingest

    data, _uri, _trained = corpus
    pairs, source, _resaves = copies
    rc, out, _ = _run_cli(capsys, "embed", "--data-dir", str(data), "--workers", "1", "--json")
    first = json.loads(out)
    assert rc == 0 and first["trained"] is None and first["model_version"] == "v1"
    assert first["songs_new"] == first["songs_total"] > 200 and first["patterns_new"] > 1000
    rc, out, _ = _run_cli(capsys, "embed", "--data-dir", str(data), "--workers", "0", "--json")
    assert rc == 0 and json.loads(out)["songs_new"] == 0
    ingest(source, data)
    rc, out, _ = _run_cli(capsys, "embed", "--data-dir", str(data), "--workers", "1", "--json")
    third = json.loads(out)
    assert rc == 0 and third["songs_new"] == len(pairs) + RESAVES
    assert third["songs_total"] == first["songs_total"] + len(pairs) + RESAVES
    with open_catalog(data) as con:
        assert con.execute("SELECT count(*), count(DISTINCT song_id) FROM song_embeddings").fetchone() == (
            third["songs_total"],
            third["songs_total"],
        )
        types = dict(
            con.execute("SELECT column_name, column_type FROM (DESCRIBE pattern_embeddings)").fetchall()
        )
        assert types["vector"] == "FLOAT[256]" and {"song_id", "channel", "pattern"} <= set(types)
        assert con.execute("SELECT count(*) FROM pattern_embeddings").fetchone()[0] == (
            first["patterns_new"] + third["patterns_new"]
        )


def test_similar_ranks_the_transposed_copy_first_from_duckdb(embedded, copies, capsys):
    from beepbrain.corpus.catalog import open_catalog
    from beepbrain.corpus.sqlfiles import load_query

    data, _uri, _trained = embedded
    pairs, _source, resaves = copies
    hits = 0
    for original, copy, text in pairs:
        rc, out, _ = _run_cli(
            capsys, "similar", text, "--k", "5", "--format", "json", "--data-dir", str(data)
        )
        ranked = json.loads(out)
        assert rc == 0 and len(ranked) == 5 and original not in [r["song_id"] for r in ranked]
        assert set(ranked[0]) >= {"song_id", "author", "source_url", "score"}
        assert [r["score"] for r in ranked] == sorted((r["score"] for r in ranked), reverse=True)
        hits += ranked[0]["song_id"] == copy
        if ranked[0]["song_id"] == copy:
            assert ranked[0]["author"] == "someone-else" and ranked[0]["transposed"] is True
    assert hits >= 0.9 * len(pairs)
    original, copy, _text = pairs[0]
    query = load_query("similar_songs")
    with open_catalog(data) as con:  # the named query gives what the command printed
        rows = con.execute(query.sql, query.bind({"song_id": original, "k": 5})).fetchall()
    rc, out, _ = _run_cli(
        capsys, "similar", pairs[0][2], "--format", "json", "--k", "5", "--data-dir", str(data)
    )
    assert [r[0] for r in rows] == [r["song_id"] for r in json.loads(out)]


def test_similar_leaves_out_songs_with_exactly_the_same_notes(embedded, copies, capsys):
    data, _uri, _trained = embedded
    pairs, _source, resaves = copies
    texts = {original: text for original, _copy, text in pairs}
    copies_of = {original: copy for original, copy, _text in pairs}
    for original, again in resaves:
        rc, out, err = _run_cli(
            capsys, "similar", texts[original], "--k", "5", "--format", "json", "--data-dir", str(data)
        )
        ranked = json.loads(out)
        assert (
            rc == 0
            and again not in [r["song_id"] for r in ranked]
            and not any(r["identical"] for r in ranked)
        )
        assert ranked[0]["song_id"] == copies_of[original]
        assert "1 catalog song(s) play exactly the same notes" in err and again in err
        rc, out, _ = _run_cli(
            capsys,
            "similar",
            texts[original],
            "--k",
            "5",
            "--format",
            "json",
            "--include-identical",
            "--data-dir",
            str(data),
        )
        ranked = json.loads(out)
        assert rc == 0 and ranked[0]["song_id"] == again and ranked[0]["identical"] is True
        assert ranked[1]["song_id"] == copies_of[original] and ranked[1]["identical"] is False


def test_similar_embeds_a_song_outside_the_catalog(embedded, copies, capsys, tmp_path):
    from beepbrain.embed.songs import transpose_song
    from beepbrain.format import parse_song

    data, _uri, _trained = embedded
    pairs, _source, resaves = copies
    original, copy, text = pairs[1]
    outside = transpose_song(parse_song(text), -1).to_url()
    path = tmp_path / "song.txt"
    path.write_text("https://www.beepbox.co/#" + outside)
    rc, out, err = _run_cli(
        capsys, "similar", str(path), "--format", "json", "--k", "3", "--data-dir", str(data)
    )
    ranked = json.loads(out)
    same_notes = {original, copy} | {again for o, again in resaves if o == original}
    assert rc == 0 and ranked[0]["song_id"] in same_notes and ranked[0]["score"] > 0.999
    rc, out, err = _run_cli(capsys, "similar", "https://www.beepbox.co/#" + outside, "--data-dir", str(data))
    assert rc == 0 and "not in the catalog" in err and "(10 rows)" in out and ranked[0]["song_id"] in out


def test_clear_errors(embedded, capsys, tmp_path, raw_twitter_dir):
    from beepbrain.corpus.ingest import ingest
    from beepbrain.embed.registry import NoEmbeddingModel, load_encoder

    data, _uri, _trained = embedded
    rc, _, err = _run_cli(capsys, "similar", "not a song", "--data-dir", str(data))
    assert rc == 2 and err.startswith("beepbrain similar: ") and "Traceback" not in err
    rc, _, err = _run_cli(capsys, "embed", "--data-dir", str(tmp_path / "nothing"))
    assert rc == 2 and "beepbrain ingest" in err
    ingest(raw_twitter_dir, tmp_path / "small")  # a catalog, but no vectors yet
    rc, _, err = _run_cli(capsys, "similar", first_song_text(data), "--data-dir", str(tmp_path / "small"))
    assert rc == 2 and "run `beepbrain embed` first" in err
    with pytest.raises(NoEmbeddingModel, match="beepbrain embed"):
        load_encoder(settings.tracking_uri(tmp_path))


def first_song_text(data) -> str:
    from beepbrain.corpus.catalog import open_catalog

    with open_catalog(data) as con:
        return con.execute("SELECT data FROM songs ORDER BY song_id LIMIT 1").fetchone()[0]


def test_frechet_distance_puts_held_out_songs_nearer_than_random_notes(corpus):
    from beepbrain.embed.corpus import catalog_songs, is_held_out
    from beepbrain.embed.frechet import frechet_report
    from beepbrain.embed.registry import load_encoder
    from beepbrain.format import parse_song

    data, uri, _trained = corpus
    songs = [(sid, parse_song(text)) for sid, text in catalog_songs(data)]
    train = [s for sid, s in songs if not is_held_out(sid, 0.25)]
    test = [s for sid, s in songs if is_held_out(sid, 0.25)][:30]
    metrics = frechet_report(load_encoder(uri).model, train, {"test": test}, progress=lambda *a: None)
    assert 0 < metrics["fd_test"] < metrics["fd_random"]
