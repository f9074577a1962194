#!/usr/bin/env bash
# Re-resolve BeepBrain's dependencies and write requirements.lock, the constraints file the README's install
# commands and .ci/run install from. Run it on Linux x86-64 with Python 3.11 after changing pyproject.toml's
# dependencies (or to move to newer releases), run the tests, and commit the new lock with the change.
#
#   bash scripts/refresh-lock.sh
#
# It installs the project with its dev extra into a throwaway venv from PyPI and freezes what pip resolved.
# torch's local version label (+cpu where the CPU wheel is installed) is dropped: the lock pins 2.13.0, which
# the CPU wheel and PyPI's CUDA build both satisfy.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="$(mktemp -d)/venv"
python3.11 -m venv "$venv"
"$venv/bin/pip" install --quiet -e ".[dev]"
{
  echo "# BeepBrain's resolved dependency set (Linux x86-64, Python 3.11), used as pip constraints:"
  echo "#   pip install -c requirements.lock -e \".[dev]\""
  echo "# Refresh: bash scripts/refresh-lock.sh (see there). Written $(date -u +%Y-%m-%d) from $(git rev-parse --short HEAD)."
  "$venv/bin/pip" freeze --exclude-editable | sed -E 's/^(torch==[^+]+)\+.*$/\1/'
} > requirements.lock
rm -rf "$(dirname "$venv")"
echo "wrote requirements.lock ($(grep -c '==' requirements.lock) pins)"
