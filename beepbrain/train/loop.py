"""The training loop: data windows in, a tracked, checkpointed, registered model out.

One process, or one per GPU under `torchrun` (DistributedDataParallel; rank 0 talks to MLflow and writes
checkpoints). Batches come from `WindowLoader.get_batch(index)`, deterministic in (seed, index), with
index = (step * grad_accum + micro) * world_size + rank: a resumed run sees exactly the same data.

`_train` reads as its parts, each a function over one `_Training` state: `_setup` (device, resume plan,
`_loaders`: the WindowLoaders, model and optimizer), `_open_run` (the MLflow run), `_loop` (`_step` after
`_step`, with `evaluate` and `_save`, the checkpoint, when due) and `_finish` (register, report).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, replace
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn.functional as F

from beepbrain import settings
from beepbrain.crashpoints import crash_point
from beepbrain.model import CONFIGS, GPT, GPTConfig
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


def target_weights(tokenizer, weight: float, vocab_size: int, device) -> torch.Tensor | None:
    """float[vocab]: the loss weight of each target token, ``weight`` on the tokenizer's item decisions
    (``decision_ids``) and 1 elsewhere; None where every weight is 1 (the model's own mean loss)."""
    ids = tokenizer.decision_ids()
    if float(weight) == 1.0 or not len(ids):
        return None
    out = torch.ones(vocab_size, device=device)
    out[torch.as_tensor(ids, device=device)] = float(weight)
    return out


def weighted_loss(logits: torch.Tensor, targets: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Cross-entropy averaged with each target's weight (targets -1 ignored)."""
    ce = F.cross_entropy(
        logits.float().reshape(-1, logits.size(-1)), targets.reshape(-1), ignore_index=-1, reduction="none"
    )
    w = weights[targets.reshape(-1).clamp(min=0)] * (targets.reshape(-1) >= 0)
    return (ce * w).sum() / w.sum().clamp(min=1e-9)


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


@dataclass
class _Training:
    """What one training holds while it runs, from setup to finish."""

    config: TrainConfig
    data: Path
    say: Callable[..., None]
    ddp: Distributed | None
    rank: Distributed
    device: torch.device
    dataset_dir: Path
    manifest: dict
    model_config: object
    train_loader: object
    val_loader: object | None
    model: torch.nn.Module  # compiled and/or DDP-wrapped: what the steps call
    raw_model: GPT  # the plain GPT: what is saved and registered
    optimizer: torch.optim.Optimizer
    autocast: object
    checkpoint: dict | None  # the checkpoint resumed from
    resume: object | None  # the resume plan (beepbrain.train.resume)
    parent: object | None  # the model fine-tuned from (beepbrain.train.init_from)
    step: int = 0
    run: object | None = None  # the MLflow run (rank 0 only)
    train_loss: float | None = None
    val_loss: float | None = None
    ckpt_path: Path | None = None
    tokens_per_step: int = 0  # positions per optimizer step, all processes
    peak: float = 0.0  # FLOP/s of the whole job, for MFU
    weights: torch.Tensor | None = None  # each target token's loss weight (None: all 1)


def _train(config: TrainConfig, data: Path, log) -> TrainResult:
    """Setup, open the run, loop (a failure marks the run FAILED, an interrupt KILLED), finish."""
    t = _setup(config, data, log)
    _open_run(t)
    try:
        _loop(t)
    except BaseException as exc:
        if t.run is not None:
            t.run.fail("KILLED" if isinstance(exc, KeyboardInterrupt) else "FAILED")
        raise
    return _finish(t)


def _channel_marks(config, dataset_dir: Path):
    """How the model reads each token's channel (``Tokenizer.channel_marks``), None where the dataset's
    tokenizer does not tell it or ``config.channel_embedding``, ``config.recall`` and ``config.note_end``
    are all off."""
    from beepbrain.tokens.load import load_tokenizer

    if not (config.channel_embedding or config.recall or config.note_end):
        return None
    return load_tokenizer(dataset_dir / "tokenizer.json").channel_marks()


def _loaders(config: TrainConfig, dataset_dir: Path, manifest: dict, block: int, say):
    """The train split's WindowLoader, and the val split's (None without one, or with eval_batches=0)."""
    from beepbrain.tokens.loader import WindowLoader

    train_loader = WindowLoader(
        dataset_dir,
        "train",
        block_size=block,
        batch_size=config.batch_size,
        seed=config.seed,
        fill=config.fill,
        song_balance=config.song_balance,
    )
    val_loader = None
    if config.eval_batches and manifest.get("splits", {}).get("val", {}).get("tokens", 1):
        try:
            val_loader = WindowLoader(
                dataset_dir, "val", block_size=block, batch_size=config.batch_size, seed=config.seed + 1
            )
        except (FileNotFoundError, ValueError) as exc:
            say(f"no validation split ({exc}); skipping val_loss")
    return train_loader, val_loader


def _setup(config: TrainConfig, data: Path, log) -> _Training:
    """Setup: processes and device, the resume plan, the dataset's loaders, the model (fresh, fine-tuned
    from a parent, or restored from the checkpoint) and its optimizer."""
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
            say(
                f"run {config.resume} has no checkpoint (killed before its first): starting it over at step 0"
            )
        elif resume.step >= config.steps:
            say(
                f"run {config.resume} was killed after its final checkpoint (step {resume.step}): finishing it"
            )
        else:
            say(f"resuming run {config.resume} at step {resume.step}")

    dataset_dir = data / "datasets" / config.dataset
    manifest = read_manifest(dataset_dir, hint="; build one with `beepbrain dataset`")
    if checkpoint is not None and checkpoint.get("model_config"):  # the resumed run's own model
        model_config = GPTConfig.from_dict(checkpoint["model_config"])
    else:
        model_config = CONFIGS[config.model].with_data(
            int(manifest["vocab_size"]),
            int(manifest.get("cond_dim", COND_DIM)),
            _channel_marks(config, dataset_dir),
            embed=config.channel_embedding,
            recall=config.recall,
            note_end=config.note_end,
            recall_pattern=config.recall_pattern,
            recall_kind=config.recall_kind,
        )
        model_config = replace(model_config, dropout=float(config.dropout))
    train_loader, val_loader = _loaders(config, dataset_dir, manifest, model_config.block_size, say)

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

        parent = load_parent(
            config.init_from, settings.tracking_uri(data, config.tracking_uri), model_config, manifest
        )
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
    t = _Training(
        config=config,
        data=data,
        say=say,
        ddp=ddp,
        rank=rank,
        device=device,
        dataset_dir=dataset_dir,
        manifest=manifest,
        model_config=model_config,
        train_loader=train_loader,
        val_loader=val_loader,
        model=model,
        raw_model=raw_model,
        optimizer=optimizer,
        autocast=autocast,
        checkpoint=checkpoint,
        resume=resume,
        parent=parent,
        step=step,
        weights=target_weights(
            train_loader.tokenizer, config.decision_weight, model_config.vocab_size, device
        ),
    )
    if checkpoint is not None:
        t.train_loss, t.val_loss = checkpoint.get("train_loss"), checkpoint.get("val_loss")
        t.ckpt_path = run_dir(data, resume.run_id) / CHECKPOINT_NAME
    return t


def _open_run(t: _Training) -> None:
    """Say what is trained, open (or reopen) the MLflow run on rank 0, and put back a checkpoint's random
    state."""
    config, block = t.config, t.model_config.block_size
    n_params = t.raw_model.num_params()
    t.tokens_per_step = config.batch_size * block * config.grad_accum * t.rank.world_size
    peak, peak_source = peak_flops(t.device)
    t.peak = peak * t.rank.world_size  # MFU of the whole job: every process has a device like this one
    t.say(
        f"model {config.model}: {n_params:,} parameters, context {block}, vocab {t.model_config.vocab_size}; "
        f"{t.tokens_per_step:,} positions/step on {t.device} x{t.rank.world_size} ({t.train_loader.windows:,} "
        f"windows, each a song, packed); MFU against {t.peak / 1e12:.2f} TFLOP/s ({peak_source})"
    )
    if t.rank.main:
        from beepbrain.train.session import TrainingRun

        t.run = TrainingRun.open(t.data, config, t.model_config, t.manifest, n_params, t.resume)
        if t.parent is not None:
            from beepbrain.train.init_from import tag_run

            tag_run(t.run.client, t.run.run_id, t.parent)
        t.say(f"MLflow run {t.run.run_id} ({t.run.uri})")
    if t.checkpoint is not None:
        from beepbrain.train.checkpoint import set_rng_state

        set_rng_state(t.checkpoint["rng"])


def _step(t: _Training) -> tuple[torch.Tensor, float, int, int]:
    """Step: one optimizer step at t.step's learning rate over grad_accum micro-batches; returns the summed
    loss (on the device), the rate, and the real targets and all positions it saw (all processes)."""
    config, rank = t.config, t.rank
    lr = lr_at(
        t.step, peak=config.peak_lr, warmup=config.warmup, total=config.steps, min_ratio=config.min_lr_ratio
    )
    for group in t.optimizer.param_groups:
        group["lr"] = lr
    loss_sum = torch.zeros((), device=t.device)
    real = positions = 0
    for micro in range(config.grad_accum):
        index = (t.step * config.grad_accum + micro) * rank.world_size + rank.rank
        x, y, c = t.train_loader.get_batch(index)
        real += int((y >= 0).sum()) * rank.world_size
        positions += y.numel() * rank.world_size
        x, y, c = x.to(t.device), y.to(t.device), c.to(t.device)
        sync = t.ddp is None or micro == config.grad_accum - 1  # DDP: all-reduce on the last only
        with nullcontext() if sync else t.model.no_sync():
            with t.autocast:
                if t.weights is None:
                    _, loss = t.model(x, c, y)
                else:
                    logits, _ = t.model(x, c)
                    loss = weighted_loss(logits, y, t.weights)
                loss = loss / config.grad_accum
            loss.backward()
        loss_sum += loss.detach()
    if config.grad_clip > 0:
        torch.nn.utils.clip_grad_norm_(t.model.parameters(), config.grad_clip)
    t.optimizer.step()
    t.optimizer.zero_grad(set_to_none=True)
    t.step += 1
    return loss_sum, lr, real, positions


def _save(t: _Training) -> Path | None:
    """Checkpoint: model, optimizer, step, random state and the latest losses, logged to the run (rank 0)."""
    if t.run is None:
        return None
    t.run.metrics.flush()
    state = {
        "model": t.raw_model.state_dict(),
        "optimizer": t.optimizer.state_dict(),
        "step": t.step,
        "rng": rng_state(),
        "run_id": t.run.run_id,
        "train_config": t.config.to_dict(),
        "model_config": t.model_config.to_dict(),
        "val_loss": t.val_loss,
        "train_loss": t.train_loss,
    }
    path = save_checkpoint(run_dir(t.data, t.run.run_id) / CHECKPOINT_NAME, state)
    t.run.log_checkpoint(path, t.step)
    t.say(f"checkpoint at step {t.step}: {path}", flush=True)
    return path


def _loop(t: _Training) -> None:
    """Steps until config.steps; every log interval the losses and throughput are reported, and, when due,
    the model evaluated on the val split and checkpointed."""
    config, run, total = t.config, t.run, t.config.steps
    flops_per_token = t.raw_model.flops_per_token(t.model_config.block_size)
    t.model.train()
    pending: list[tuple[int, torch.Tensor, float]] = []
    t_last = time.perf_counter()
    real_since = positions_since = 0  # targets that are a song's next token, and all positions
    while t.step < total:
        loss_sum, lr, real, positions = _step(t)
        real_since += real
        positions_since += positions
        step = t.step
        pending.append((step, loss_sum, lr))

        last = step == total
        evaluate_now = t.val_loader is not None and (
            last or (config.eval_interval and step % config.eval_interval == 0)
        )
        checkpoint_now = last or (config.checkpoint_interval and step % config.checkpoint_interval == 0)
        if step % config.log_interval == 0 or last or evaluate_now or checkpoint_now:
            losses = torch.stack([p[1] for p in pending]).float()
            if t.ddp is not None:
                dist.all_reduce(losses, op=dist.ReduceOp.AVG)
            losses = losses.tolist()  # one device sync per interval
            elapsed = time.perf_counter() - t_last
            tokens_per_s = real_since / elapsed  # real targets only: no padding, boundary, pin or marker
            mfu = flops_per_token * real_since / elapsed / t.peak
            padding = 1 - real_since / max(positions_since, 1)
            t.train_loss = losses[-1]
            if run is not None:
                for (s, _, rate), value in zip(pending, losses, strict=True):
                    run.metrics.add(
                        s, train_loss=value, lr=rate, tokens_per_s=tokens_per_s, mfu=mfu, pad_share=padding
                    )
            t.say(
                f"step {step}/{total} loss {t.train_loss:.4f} lr {lr:.2e} {tokens_per_s:,.0f} tok/s "
                f"mfu {100 * mfu:.1f}% not targets {100 * padding:.1f}%",
                flush=True,
            )
            if not math.isfinite(t.train_loss):
                raise FloatingPointError(f"training loss became {t.train_loss} at step {step}")
            pending, real_since, positions_since = [], 0, 0
            if evaluate_now:
                t.val_loss = evaluate(t.model, t.val_loader, config.eval_batches, t.device, t.autocast)
                if run is not None:
                    run.metrics.add(step, val_loss=t.val_loss)
                t.say(f"step {step}: val_loss {t.val_loss:.4f}", flush=True)
            if run is not None:
                run.metrics.flush()
            crash_point(f"train.step.{step}")
            if checkpoint_now:
                t.ckpt_path = _save(t)
                crash_point(f"train.checkpoint.{step}")
            t_last = time.perf_counter()


def _finish(t: _Training) -> TrainResult:
    """Finish: log and register the final model (rank 0), leave the process group, say where things are."""
    version = None
    if t.run is not None:
        version = t.run.finish(t.raw_model, t.dataset_dir, register=t.config.register)
        if version is not None:
            t.say(f"registered model beepbrain version {version}")
    if t.ddp is not None:
        dist.barrier()
        dist.destroy_process_group()
    return TrainResult(
        run_id=None if t.run is None else t.run.run_id,
        step=t.step,
        train_loss=t.train_loss,
        val_loss=t.val_loss,
        model_version=version,
        checkpoint=t.ckpt_path,
    )
