"""Batches and Monte Carlo on a Dask cluster (issue 15, target 7): a LocalCluster of 2 worker processes gives
the same bits as a local run for the same seed and chunk size."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import tem
from tem.analysis.montecarlo.run import montecarlo
from tem.analysis.montecarlo.spec import load_montecarlo_spec
from tem.cli import app

distributed = pytest.importorskip("distributed")

ROOT = Path(__file__).parents[3]
BASE = ROOT / "assumptions" / "base.yaml"
SPEC = ROOT / "assumptions" / "montecarlo.yaml"


@pytest.fixture(scope="module")
def client() -> Iterator[object]:
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    with cluster, distributed.Client(cluster) as c:
        yield c


def test_run_batch_on_a_cluster_equals_the_local_run(client: object) -> None:
    base = tem.load(BASE)
    rng = np.random.default_rng(3)
    values = {
        "cells.imported.fob_price_usd_per_kwh": rng.uniform(40, 65, 900),
        "capex.phases.cell_plant_1.capex_inr_cr": rng.uniform(2000, 4000, 900),
    }
    scales = {"demand.ess.volume_gwh": rng.uniform(0.5, 1.5, 900)}
    local = tem.run_batch(base, values, scales, chunk_size=250)
    remote = tem.run_batch(base, values, scales, chunk_size=250, executor=client)
    pd.testing.assert_frame_equal(remote, local, check_exact=True)
    assert len(client.scheduler_info()["workers"]) == 2  # type: ignore[attr-defined]


def test_montecarlo_on_a_cluster_equals_the_local_run(client: object) -> None:
    base = tem.load(BASE)
    spec = load_montecarlo_spec(SPEC)
    local = montecarlo(base, spec, n=2000, seed=8, chunk_size=300, block=1200)
    remote = montecarlo(base, spec, n=2000, seed=8, chunk_size=300, block=1200, executor=client)
    for field in ("samples", "kpis", "summary", "convergence", "rank_contributions", "correlation_achieved"):
        pd.testing.assert_frame_equal(getattr(remote, field), getattr(local, field), check_exact=True, obj=field)
    assert remote.headline == local.headline


def test_cli_scheduler_gives_the_local_summary(client: object, tmp_path: Path) -> None:
    address = client.scheduler.address  # type: ignore[attr-defined]
    args = ["montecarlo", str(BASE), "--spec", str(SPEC), "--n", "400", "--seed", "2", "--no-png", "--no-excel"]
    res_local = CliRunner().invoke(app, [*args, "--json", "--quiet", "--out", str(tmp_path / "a")])
    res_remote = CliRunner().invoke(app, [*args, "--json", "--quiet", "--out", str(tmp_path / "b"), "--scheduler", address])
    assert res_local.exit_code == 0, res_local.output
    assert res_remote.exit_code == 0, res_remote.output
    assert json.loads(res_remote.stdout)["summary"] == json.loads(res_local.stdout)["summary"]


def test_cli_scheduler_that_does_not_answer_exits_2(tmp_path: Path) -> None:
    res = CliRunner().invoke(
        app, ["montecarlo", str(BASE), "--n", "100", "--quiet", "--out", str(tmp_path), "--scheduler", "tcp://127.0.0.1:9"]
    )
    assert res.exit_code == 2, res.output
    assert "no Dask scheduler answers" in res.stderr
    assert "Traceback" not in res.output
    assert not any(tmp_path.iterdir())


def test_gated_montecarlo_and_gate_sweep_on_a_cluster_equal_the_local_run(client: object) -> None:
    """Gates (issue 13) on the cluster: the gate KPIs, the value of flexibility and the threshold sweep are the
    local run's bits."""
    from tem.analysis.montecarlo.gate_sweep import gate_threshold_sweep

    gated = tem.load(ROOT / "assumptions" / "base.yaml")  # cell plant 1 behind its FY28 gate
    spec = load_montecarlo_spec(SPEC)
    local = montecarlo(gated, spec, n=1500, seed=8, chunk_size=300, block=1000)
    remote = montecarlo(gated, spec, n=1500, seed=8, chunk_size=300, block=1000, executor=client)
    assert "gate_passed_cell_plant_1" in remote.kpis.columns
    for field in ("kpis", "summary", "rank_contributions"):
        pd.testing.assert_frame_equal(getattr(remote, field), getattr(local, field), check_exact=True, obj=field)
    assert remote.flexibility is not None
    assert local.flexibility is not None
    pd.testing.assert_frame_equal(remote.flexibility.comparison, local.flexibility.comparison, check_exact=True)
    path = "capex.phases.cell_plant_1.gate.when.0.threshold"
    sweep_local = gate_threshold_sweep(gated, spec, path, [45.0, 50.0], n=600, seed=8, chunk_size=200)
    sweep_remote = gate_threshold_sweep(gated, spec, path, [45.0, 50.0], n=600, seed=8, chunk_size=200, executor=client)
    pd.testing.assert_frame_equal(sweep_remote.table, sweep_local.table, check_exact=True)
