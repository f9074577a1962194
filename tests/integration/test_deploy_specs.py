"""The deployment table and the deploy command's argument parsing (no server needed)."""

from __future__ import annotations

import pytest

from beepbrain.commands.deploy import parse_params
from beepbrain.service.deploy import DEPLOYMENTS, GPU_POOL, POOLS, PROJECT_DIR, DeployError, select


def test_the_five_deployments_point_at_existing_flows_in_known_pools():
    names = [s.full_name for s in DEPLOYMENTS]
    assert names == ["ingest/nightly", "build-dataset/on-demand", "train/on-demand", "generate/on-demand",
                     "pipeline/weekly"]  # fmt: skip
    for spec in DEPLOYMENTS:
        assert spec.pool in POOLS
        assert (PROJECT_DIR / spec.entrypoint.split(":")[0]).is_file(), spec.entrypoint
    assert {s.full_name for s in DEPLOYMENTS if s.pool == GPU_POOL} == {"train/on-demand", "pipeline/weekly"}
    assert POOLS[GPU_POOL][0] == 1


def test_select_by_flow_or_full_name():
    assert [s.full_name for s in select(["train", "pipeline/weekly"])] == [
        "train/on-demand",
        "pipeline/weekly",
    ]
    assert len(select(None)) == len(DEPLOYMENTS)
    with pytest.raises(DeployError, match="unknown deployment train/nightly"):
        select(["train/nightly"])


def test_param_options_parse_as_json_with_strings_as_fallback():
    assert parse_params(
        ["train/on-demand:max_steps=2000", "train/on-demand:lr=3e-4", "generate:model=models:/x/1"]
    ) == {
        "train/on-demand": {"max_steps": 2000, "lr": 3e-4},
        "generate": {"model": "models:/x/1"},
    }
    with pytest.raises(ValueError, match="expected FLOW/NAME:KEY=VALUE"):
        parse_params(["max_steps=3"])
