"""The README's two Quick start commands, run exactly as written there, in a fresh clone: the figures of the
README's and docs/install.md's timings.

Clones this checkout's HEAD into a scratch folder (with `shared/` linked beside it, as CI has it), runs the
main job's command, then the test command, each with `bash -c` in the clone's root (the second reuses the
`.venv` the first made, as a newcomer would), and prints each one's exit status, wall time, and the tail
of what it printed (pytest's summary line for the tests).

    python benchmarks/fresh_clone.py [--no-pip-cache] [--only main|tests] [--keep]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> dict[str, str]:
    """The Quick start block's two command lines (the same lines tests/test_install_docs.py checks)."""
    block = re.search(r"## Quick start.*?```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.S).group(1)
    lines = [line for line in block.splitlines() if line.startswith("python3.11 -m venv")]
    if len(lines) != 2:
        raise SystemExit(f"expected the README's Quick start to hold 2 commands, found {len(lines)}")
    return {"main": lines[0], "tests": lines[1]}


def run(command: str, cwd: Path, env: dict[str, str], log: Path) -> tuple[int, float]:
    t0 = time.perf_counter()
    with log.open("w") as out:
        rc = subprocess.run(
            ["bash", "-c", command], cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT
        ).returncode
    return rc, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--no-pip-cache", action="store_true", help="install with PIP_NO_CACHE_DIR=1 (a new machine)"
    )
    ap.add_argument("--only", choices=["main", "tests"], help="run one of the two commands")
    ap.add_argument("--keep", action="store_true", help="keep the scratch clone")
    args = ap.parse_args()

    commands = readme_commands()
    scratch = Path(tempfile.mkdtemp(prefix="fresh-clone-"))
    clone = scratch / "main"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    shared = ROOT.parent / "shared"
    if shared.exists():
        (scratch / "shared").symlink_to(shared.resolve())
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=clone, capture_output=True, text=True
    ).stdout
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHONPATH"))}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    if args.no_pip_cache:
        env["PIP_NO_CACHE_DIR"] = "1"
    print(
        f"fresh clone of {head.strip()} in {clone} (pip cache {'off' if args.no_pip_cache else 'as the machine has it'}; "
        f"load average {os.getloadavg()[0]:.1f})",
        flush=True,
    )
    failed = False
    for name, command in commands.items():
        if args.only and name != args.only:
            continue
        print(f"\n$ {command}", flush=True)
        log = scratch / f"{name}.log"
        rc, seconds = run(command, clone, env, log)
        tail = log.read_text().rstrip().splitlines()[-6:]
        print(f"{name}: exit {rc}, {seconds // 60:.0f} min {seconds % 60:.0f} s (log {log})")
        print("\n".join("  | " + line for line in tail), flush=True)
        failed |= rc != 0
    if not args.keep and not failed:
        shutil.rmtree(scratch, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
