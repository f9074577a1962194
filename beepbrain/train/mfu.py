"""Model FLOPs utilisation: achieved training FLOP/s against the device's peak rate."""

from __future__ import annotations

import time

import torch

# Dense bf16 tensor-core peaks (FLOP/s), by a substring of the CUDA device name.
GPU_PEAK_BF16 = {
    "H200": 989e12,
    "H100 PCIe": 756e12,
    "H100": 989e12,  # SXM
    "GH200": 989e12,
    "B200": 2250e12,
    "A100": 312e12,
    "L40S": 362e12,
    "A10G": 70e12,
    "L4": 121e12,
    "RTX 4090": 165e12,
    "RTX 3090": 71e12,
}


def gpu_peak_flops(device: torch.device) -> float | None:
    name = torch.cuda.get_device_name(device)
    for key, peak in GPU_PEAK_BF16.items():
        if key in name:
            return peak
    return None


def measured_matmul_flops(size: int = 1024, dtype=torch.float32, device="cpu", seconds: float = 0.5) -> float:
    """The rate of one square matrix multiply, measured here: the CPU's practical peak."""
    gen = torch.Generator(device).manual_seed(0)  # leaves the global RNG (and so training) untouched
    a = torch.randn(size, size, dtype=dtype, device=device, generator=gen)
    b = torch.randn(size, size, dtype=dtype, device=device, generator=gen)
    a @ b  # warm-up
    count, start = 0, time.perf_counter()
    while True:
        a @ b
        count += 1
        if device != "cpu":
            torch.cuda.synchronize()
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return 2 * size**3 * count / elapsed


def peak_flops(device: torch.device) -> tuple[float, str]:
    """(peak FLOP/s, where it came from) for MFU on this device."""
    if device.type == "cuda":
        peak = gpu_peak_flops(device)
        if peak is not None:
            return peak, f"{torch.cuda.get_device_name(device)} bf16 dense peak"
        return measured_matmul_flops(4096, torch.bfloat16, device), "measured bf16 matmul"
    return measured_matmul_flops(), "measured fp32 matmul"
