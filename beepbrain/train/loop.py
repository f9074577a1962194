"""The training loop: data windows in, a tracked, checkpointed, registered model out.

One process, or one per GPU under `torchrun` (DistributedDataParallel; rank 0 talks to MLflow and writes
checkpoints). Batches come from `WindowLoader.get_batch(index)`, deterministic in (seed, index), with
index = (step * grad_accum + micro) * world_size + rank: a resumed run sees exactly the same data.
"""

from __future__ import annotations

import math
import os
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist

from beepbrain import settings
from beepbrain.crashpoints import crash_point
from beepbrain.model import CONFIGS, GPT
from beepbrain.tokens.conditioning import COND_DIM
from beepbrain.tokens.shards import read_manifest
from beepbrain.train.checkpoint import CHECKPOINT_NAME, rng_state, run_dir, save_checkpoint
from beepbrain.train.config import TrainConfig
from beepbrain.train.mfu import peak_flops
from beepbrain.train.optim import configure_optimizer, lr_at


@dataclass
class TrainResult:
    run_id: str | None
    step: int
    train_loss: float
    val_loss: float | None
    model_version: str | None
    checkpoint: Path | None


@dataclass
class Distributed:
    rank: int = 0
    local_rank: int = 0
    world_size: int = 1

    @property
    def main(self) -> bool:
        return self.rank == 0


def setup_distributed() -> Distributed | None:
    """Join the process group when started by torchrun (RANK in the environment)."""
    if "RANK" not in os.environ:
        return None
    backend = "nccl" if torch.cuda.is_available() else "gloo"
    dist.init_process_group(backend=backend)
    info = Distributed(int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", 0)), dist.get_world_size())
    if torch.cuda.is_available():
        torch.cuda.set_device(info.local_rank)
    return info


def pick_device(name: str, ddp: Distributed | None) -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            name = "cuda"
        elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            name = "mps"
        else:
            name = "cpu"
    if name == "cuda" and ddp is not None:
        name = f"cuda:{ddp.local_rank}"
    return torch.device(name)


@torch.no_grad()
def evaluate(model, loader, batches: int, device, autocast) -> float:
    model.eval()
    losses = []
    for i in range(batches):
        x, y, c = (t.to(device) for t in loader.get_batch(i))
        with autocast:
            _, loss = model(x, c, y)
        losses.append(loss.float())
    model.train()
    return torch.stack(losses).mean().item()


def train(config: TrainConfig, *, log=print) -> TrainResult:
    """Train (or resume, when `config.resume` names a run) and return where things ended up."""
    from beepbrain.train.tracking import using_store

    data = settings.data_dir(config.data_dir)
    with using_store(settings.tracking_uri(data, config.tracking_uri)):
        return _train(config, data, log)


def _train(config: TrainConfig, data: Path, log) -> TrainResult:
    from beepbrain.tokens.loader import WindowLoader

    ddp = setup_distributed()
    rank = ddp or Distributed()
    device = pick_device(config.device, ddp)
    say = log if rank.main else (lambda *a, **k: None)

    checkpoint = resume = None
    if config.resume:
        from beepbrain.train.resume import plan_resume

        resume = plan_resume(config, data)
        config, checkpoint = resume.config, resume.checkpoint
        if checkpoint is None:
            say(f"run {config.resume} has no checkpoint (killed before its first): starting it over at step 0")
        elif resume.step >= config.steps:
            say(f"run {config.resume} was killed after its final checkpoint (step {resume.step}): finishing it")
        else:
            say(f"resuming run {config.resume} at step {resume.step}")

    dataset_dir = data / "datasets" / config.dataset
    manifest = read_manifest(dataset_dir, hint="; build one with `beepbrain dataset`")
    model_config = CONFIGS[config.model].with_data(
        int(manifest["vocab_size"]), int(manifest.get("cond_dim", COND_DIM))
    )
    block = model_config.block_size
    train_loader = WindowLoader(
        dataset_dir, "train", block_size=block, batch_size=config.batch_size, seed=config.seed
    )
    val_loader = None
    if config.eval_batches and manifest.get("splits", {}).get("val", {}).get("tokens", 1):
        try:
            val_loader = WindowLoader(
                dataset_dir, "val", block_size=block, batch_size=config.batch_size, seed=config.seed + 1
            )
        except (FileNotFoundError, ValueError) as exc:
            say(f"no validation split ({exc}); skipping val_loss")

    torch.manual_seed(config.seed)
    model = GPT(model_config).to(device)
    optimizer = configure_optimizer(
        model,
        lr=config.peak_lr,
        weight_decay=config.weight_decay,
        betas=(config.beta1, config.beta2),
        device_type=device.type,
    )
    step = 0
    parent = None
    if config.init_from and checkpoint is None:
        from beepbrain.train.init_from import load_parent

        parent = load_parent(config.init_from, settings.tracking_uri(data, config.tracking_uri), model_config,
                             manifest)
        model.load_state_dict(parent.state)
        say(f"starting from {config.init_from} (run {parent.run_id})")
    if checkpoint is not None:
        model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        step = int(checkpoint["step"])
    raw_model = model
    if config.compile:
        model = torch.compile(model)
    if ddp is not None:
        from torch.nn.parallel import DistributedDataParallel

        model = DistributedDataParallel(model, device_ids=[ddp.local_rank] if device.type == "cuda" else None)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        autocast = torch.autocast("cuda", dtype=torch.bfloat16)
    else:
        autocast = nullcontext()

    n_params = raw_model.num_params()
    total = config.steps
    tokens_per_step = config.batch_size * block * config.grad_accum * rank.world_size
    flops_per_step = raw_model.flops_per_token(block) * tokens_per_step
    peak, peak_source = peak_flops(device)
    peak *= rank.world_size  # MFU of the whole job: every process has a device like this one
    say(
        f"model {config.model}: {n_params:,} parameters, context {block}, vocab {model_config.vocab_size}; "
        f"{tokens_per_step:,} positions/step on {device} x{rank.world_size} ({train_loader.windows:,} "
        f"windows, each a song, packed); MFU against {peak / 1e12:.2f} TFLOP/s ({peak_source})"
    )

    run = None
    if rank.main:
        from beepbrain.train.session import TrainingRun

        run = TrainingRun.open(data, config, model_config, manifest, n_params, resume)
        if parent is not None:
            from beepbrain.train.init_from import tag_run

            tag_run(run.client, run.run_id, parent)
        say(f"MLflow run {run.run_id} ({run.uri})")
    if checkpoint is not None:
        from beepbrain.train.checkpoint import set_rng_state

        set_rng_state(checkpoint["rng"])

    def save(step: int, val_loss: float | None) -> Path | None:
        if run is None:
            return None
        run.metrics.flush()
        state = {
            "model": raw_model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "step": step,
            "rng": rng_state(),
            "run_id": run.run_id,
            "train_config": config.to_dict(),
            "model_config": model_config.to_dict(),
            "val_loss": val_loss,
            "train_loss": train_loss,
        }
        path = save_checkpoint(run_dir(data, run.run_id) / CHECKPOINT_NAME, state)
        run.log_checkpoint(path, step)
        say(f"checkpoint at step {step}: {path}", flush=True)
        return path

    try:
        model.train()
        pending: list[tuple[int, torch.Tensor, float]] = []
        train_loss = val_loss = None
        ckpt_path = None
        if checkpoint is not None:
            train_loss, val_loss = checkpoint.get("train_loss"), checkpoint.get("val_loss")
            ckpt_path = run_dir(data, resume.run_id) / CHECKPOINT_NAME
        t_last, steps_since = time.perf_counter(), 0
        real_since = positions_since = 0  # targets that are a song's next token, and all positions
        while step < total:
            lr = lr_at(
                step, peak=config.peak_lr, warmup=config.warmup, total=total, min_ratio=config.min_lr_ratio
            )
            for group in optimizer.param_groups:
                group["lr"] = lr
            loss_sum = torch.zeros((), device=device)
            for micro in range(config.grad_accum):
                index = (step * config.grad_accum + micro) * rank.world_size + rank.rank
                x, y, c = train_loader.get_batch(index)
                real = int((y >= 0).sum())
                real_since += real * rank.world_size
                positions_since += y.numel() * rank.world_size
                x, y, c = x.to(device), y.to(device), c.to(device)
                sync = ddp is None or micro == config.grad_accum - 1  # DDP: all-reduce on the last only
                with nullcontext() if sync else model.no_sync():
                    with autocast:
                        _, loss = model(x, c, y)
                        loss = loss / config.grad_accum
                    loss.backward()
                loss_sum += loss.detach()
            if config.grad_clip > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            steps_since += 1
            pending.append((step, loss_sum, lr))

            last = step == total
            evaluate_now = val_loader is not None and (
                last or (config.eval_interval and step % config.eval_interval == 0)
            )
            checkpoint_now = last or (config.checkpoint_interval and step % config.checkpoint_interval == 0)
            if step % config.log_interval == 0 or last or evaluate_now or checkpoint_now:
                losses = torch.stack([p[1] for p in pending]).float()
                if ddp is not None:
                    dist.all_reduce(losses, op=dist.ReduceOp.AVG)
                losses = losses.tolist()  # one device sync per interval
                elapsed = time.perf_counter() - t_last
                tokens_per_s = real_since / elapsed  # real tokens only: no padding, no song boundary
                mfu = flops_per_step / tokens_per_step * real_since / elapsed / peak
                padding = 1 - real_since / max(positions_since, 1)
                train_loss = losses[-1]
                if run is not None:
                    for (s, _, rate), value in zip(pending, losses, strict=True):
                        run.metrics.add(s, train_loss=value, lr=rate, tokens_per_s=tokens_per_s, mfu=mfu,
                                        pad_share=padding)
                say(
                    f"step {step}/{total} loss {train_loss:.4f} lr {lr:.2e} {tokens_per_s:,.0f} tok/s "
                    f"mfu {100 * mfu:.1f}% padding {100 * padding:.1f}%",
                    flush=True,
                )
                if not math.isfinite(train_loss):
                    raise FloatingPointError(f"training loss became {train_loss} at step {step}")
                pending, steps_since, real_since, positions_since = [], 0, 0, 0
                if evaluate_now:
                    val_loss = evaluate(model, val_loader, config.eval_batches, device, autocast)
                    if run is not None:
                        run.metrics.add(step, val_loss=val_loss)
                    say(f"step {step}: val_loss {val_loss:.4f}", flush=True)
                if run is not None:
                    run.metrics.flush()
                crash_point(f"train.step.{step}")
                if checkpoint_now:
                    ckpt_path = save(step, val_loss)
                    crash_point(f"train.checkpoint.{step}")
                t_last = time.perf_counter()

    except BaseException as exc:
        if run is not None:
            run.fail("KILLED" if isinstance(exc, KeyboardInterrupt) else "FAILED")
        raise
    version = None
    if run is not None:
        version = run.finish(raw_model, dataset_dir, register=config.register)
        if version is not None:
            say(f"registered model beepbrain version {version}")
    if ddp is not None:
        dist.barrier()
        dist.destroy_process_group()
    return TrainResult(
        run_id=None if run is None else run.run_id,
        step=step,
        train_loss=train_loss,
        val_loss=val_loss,
        model_version=version,
        checkpoint=ckpt_path,
    )
