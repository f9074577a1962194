"""The README's two install commands install from requirements.lock, .ci/run runs the README's test command
exactly, and the lock pins every dependency pyproject.toml names, within pyproject's bounds."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    block = re.search(r"## Quick start.*?```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.S).group(1)
    return [line for line in block.splitlines() if line.startswith("python3.11 -m venv")]


def lock() -> dict[str, Version]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"not a pin: {line!r}"
            pins[canonicalize_name(name)] = Version(version)
    return pins


def test_the_readme_commands_install_from_the_lock():
    main_job, tests = readme_commands()
    assert "pip install -c requirements.lock -e . &&" in main_job
    assert 'pip install -c requirements.lock -e ".[dev]" &&' in tests
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert tests in ci  # CI runs the README's test command exactly


def test_the_lock_pins_every_dependency_within_its_bounds():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = lock()
    for spec in [*project["dependencies"], *project["optional-dependencies"]["dev"]]:
        req = Requirement(spec)
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is not in requirements.lock"
        assert req.specifier.contains(pins[name], prereleases=True), (spec, pins[name])
    assert pins["torch"] == Version("2.13.0")
    assert "beepbrain" not in pins


def test_the_readme_song_example_is_a_real_song(capsys):
    from beepbrain.cli import main

    url = re.search(
        r'beepbrain song info "(https://www\.beepbox\.co/#[^"]+)"', (ROOT / "README.md").read_text()
    ).group(1)
    assert main(["song", "info", url]) == 0
    out = capsys.readouterr().out
    assert "channels    4 (3 pitch, 1 drum)" in out and "bars        19" in out
