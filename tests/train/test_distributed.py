"""torchrun with two CPU processes (DistributedDataParallel over gloo) trains like one process that
accumulates two micro-batches: the data indices interleave the same way and the gradients average."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from beepbrain import settings
from beepbrain.train import TrainConfig, train


@pytest.mark.slow
def test_two_process_ddp_matches_gradient_accumulation(train_data):
    torchrun = Path(sys.executable).with_name("torchrun")
    if not torchrun.exists():
        torchrun = shutil.which("torchrun")
    common = [
        "--dataset",
        "syn",
        "--config",
        "tiny",
        "--max-steps",
        "6",
        "--batch-size",
        "2",
        "--lr",
        "3e-3",
        "--seed",
        "4",
        "--eval-interval",
        "3",
        "--eval-batches",
        "1",
        "--checkpoint-interval",
        "0",
        "--log-interval",
        "1",
        "--device",
        "cpu",
        "--no-register",
        "--dropout",  # exact equality: each process would draw its own dropout masks
        "0",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [
            str(torchrun),
            "--standalone",
            "--nproc_per_node",
            "2",
            "-m",
            "beepbrain.cli",
            "train",
            "--data-dir",
            str(train_data),
            *common,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    summaries = [line for line in proc.stdout.splitlines() if line.startswith("run ")]
    assert len(summaries) == 1  # rank 0 alone reports
    run_id = summaries[0].split()[1].rstrip(":")

    reference = train(
        TrainConfig(
            dataset="syn",
            data_dir=str(train_data),
            model="tiny",
            max_steps=6,
            batch_size=2,
            grad_accum=2,
            lr=3e-3,
            seed=4,
            eval_interval=3,
            eval_batches=1,
            checkpoint_interval=0,
            log_interval=1,
            device="cpu",
            register=False,
            dropout=0.0,
        ),
        log=lambda *a, **k: None,
    )
    uri = settings.tracking_uri(train_data)
    client = MlflowClient(tracking_uri=uri)
    ddp = {m.step: m.value for m in client.get_metric_history(run_id, "train_loss")}
    single = {m.step: m.value for m in client.get_metric_history(reference.run_id, "train_loss")}
    assert sorted(ddp) == list(range(1, 7))
    for step in ddp:
        assert ddp[step] == pytest.approx(single[step], rel=1e-4), step
    assert client.get_run(run_id).data.params["train.batch_size"] == "2"
