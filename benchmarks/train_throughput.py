"""Training throughput (tokens/s) and MFU of each model configuration, on this CPU and on CUDA if present.

CPU MFU is against the fp32 matrix-multiply rate measured in the same run; GPU MFU against the device's
dense bf16 peak (H100 SXM: 989 TFLOP/s), with bf16 autocast, fused AdamW and torch.compile as in training.
FLOPs per token: 6 x parameters + 12 x layers x width x context (forward + backward, PaLM's count).

    python benchmarks/train_throughput.py                   # tiny, small, base on CPU (+ GPU if present)
    python benchmarks/train_throughput.py --configs base --gpu-batch 64 --steps 30
    python benchmarks/train_throughput.py --configs tiny --dropout 0 0.1 --repeat 3   # what dropout costs
"""

from __future__ import annotations

import argparse
import time
from contextlib import nullcontext
from dataclasses import replace

import torch

from beepbrain.model import CONFIGS, GPT
from beepbrain.tokens import TickTokenizer
from beepbrain.train.mfu import measured_matmul_flops, peak_flops
from beepbrain.train.optim import configure_optimizer

CPU_PLAN = {"tiny": (8, 10), "small": (4, 5), "base": (1, 2)}  # (batch size, timed steps): base kept short


def measure(
    name: str,
    device: torch.device,
    batch: int,
    steps: int,
    compile_model: bool,
    peak: float,
    dropout: float = 0.0,
) -> dict:
    config = replace(CONFIGS[name].with_data(TickTokenizer().vocab_size), dropout=dropout)
    torch.manual_seed(0)
    model = GPT(config).to(device)
    optimizer = configure_optimizer(
        model, lr=3e-4, weight_decay=0.1, betas=(0.9, 0.95), device_type=device.type
    )
    step_model = torch.compile(model) if compile_model else model
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else nullcontext()
    T = config.block_size
    x = torch.randint(0, config.vocab_size, (batch, T), device=device)
    y = torch.roll(x, -1, dims=1)
    cond = torch.zeros(batch, config.cond_dim, device=device)
    cond[:, [1, 7, 16]] = 1

    def one_step():
        with autocast:
            _, loss = step_model(x, cond, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return loss

    warmup = 3 if compile_model else 1
    for _ in range(warmup):
        one_step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        loss = one_step()
    loss.item()
    if device.type == "cuda":
        torch.cuda.synchronize()
    elapsed = time.perf_counter() - start
    tokens_per_s = batch * T * steps / elapsed
    mfu = model.flops_per_token(T) * tokens_per_s / peak
    return {
        "config": name,
        "dropout": dropout,
        "params": model.num_params(),
        "batch": batch,
        "context": T,
        "tokens_per_s": tokens_per_s,
        "mfu": mfu,
        "step_s": elapsed / steps,
    }


def report(rows: list[dict], device: str, peak: float, source: str) -> None:
    print(f"\n{device}: MFU against {peak / 1e12:.3f} TFLOP/s ({source})")
    print(
        f"{'config':<7}{'dropout':>8}{'params':>13}{'batch':>7}{'context':>9}{'step s':>10}{'tokens/s':>12}"
        f"{'MFU':>8}"
    )
    for r in rows:
        print(
            f"{r['config']:<7}{r['dropout']:>8g}{r['params']:>13,}{r['batch']:>7}{r['context']:>9}{r['step_s']:>10.3f}"
            f"{r['tokens_per_s']:>12,.0f}{100 * r['mfu']:>7.1f}%"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--steps", type=int, default=20, help="timed GPU steps per configuration")
    parser.add_argument("--gpu-batch", type=int, default=32, help="GPU batch size (windows of 512 for base)")
    parser.add_argument("--no-compile", action="store_true", help="skip torch.compile on the GPU")
    parser.add_argument("--skip-cpu", action="store_true")
    parser.add_argument(
        "--dropout", nargs="+", type=float, default=[0.0], help="dropout values to time (default 0)"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="CPU rounds over the dropout values, interleaved (default 1)"
    )
    args = parser.parse_args()

    if not args.skip_cpu:
        cpu = torch.device("cpu")
        peak = measured_matmul_flops(seconds=1.0)
        print(f"CPU: {torch.get_num_threads()} threads")
        rows = []
        for name in args.configs:
            batch, steps = CPU_PLAN[name]
            for _round in range(args.repeat):
                for p in args.dropout:
                    rows.append(measure(name, cpu, batch, steps, compile_model=False, peak=peak, dropout=p))
                    print(f"  {name}, dropout {p:g}: {rows[-1]['tokens_per_s']:,.0f} tokens/s", flush=True)
        report(rows, "CPU", peak, "fp32 1024x1024 matmul measured now")

    if torch.cuda.is_available():
        gpu = torch.device("cuda")
        torch.backends.cuda.matmul.allow_tf32 = True
        peak, source = peak_flops(gpu)
        rows = []
        for name in args.configs:
            for p in args.dropout:
                rows.append(
                    measure(name, gpu, args.gpu_batch, args.steps, not args.no_compile, peak, dropout=p)
                )
                print(f"  {name}, dropout {p:g}: {rows[-1]['tokens_per_s']:,.0f} tokens/s", flush=True)
            torch.cuda.empty_cache()
        report(rows, torch.cuda.get_device_name(gpu), peak, source)
    else:
        print("\nno CUDA device: GPU measurement skipped")


if __name__ == "__main__":
    main()
