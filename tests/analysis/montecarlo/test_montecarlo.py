"""Monte Carlo: distributions, sampling, Iman-Conover correlation and its repair, the statistics, the spec's
error messages, Sobol indices, exports and the ``tem montecarlo`` command."""

from __future__ import annotations

import io
import json
import textwrap
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats
from typer.testing import CliRunner

import tem
import tem.cli.montecarlo
from tem.analysis.montecarlo.correlation import (
    SortedColumn,
    correlation_problems,
    iman_conover,
    nearest_correlation,
    prepare_correlation,
    rank_correlation,
    spearman_to_normal_scores,
)
from tem.analysis.montecarlo.distributions import make_distribution, pert_shape, sorted_strata, uniform_design
from tem.analysis.montecarlo.export import (
    histogram_figure,
    render_montecarlo_files,
    s_curve_figure,
    sobol_figure,
)
from tem.analysis.montecarlo.resolve import batch_arrays, resolve_spec
from tem.analysis.montecarlo.run import convergence_steps, headline, montecarlo
from tem.analysis.montecarlo.sobol import sobol
from tem.analysis.montecarlo.spec import MonteCarloSpec, load_montecarlo_spec
from tem.analysis.montecarlo.stats import percentiles_of_sorted, rank_contributions
from tem.analysis.montecarlo.workbook import render_montecarlo_workbook
from tem.cli import app
from tem.errors import AssumptionError
from tem.model.inputs import build_inputs

ROOT = Path(__file__).parents[3]
BASE = ROOT / "assumptions" / "base.yaml"
SPEC = ROOT / "assumptions" / "montecarlo.yaml"
FOB = "cells.imported.fob_price_usd_per_kwh"
CAPTIVE_PRICE = "demand.captive.price_usd_per_kwh"


# The machinery tests below treat selling prices as plain inputs (revenue additive in two price scales, price
# correlations): the base case with explicit price paths for the captive and ESS segments instead of their rules.
PATH_PRICES = {
    "demand.captive.price_rule": "path",
    "demand.captive.price_usd_per_kwh": {"FY26": 86.0, "FY30": 77.0, "FY36": 70.0, "FY40": 68.0, "interpolation": "linear"},
    "demand.ess.price_rule": "path",
    "demand.ess.price_usd_per_kwh": {"FY26": 80.0, "FY30": 71.0, "FY36": 64.0, "FY40": 62.0, "interpolation": "linear"},
}


@pytest.fixture(scope="module")
def base() -> tem.Assumptions:
    return tem.load(BASE, overrides=PATH_PRICES)


def write_spec(tmp_path: Path, text: str, name: str = "mc.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def spec_of(**data: object) -> MonteCarloSpec:
    return MonteCarloSpec.model_validate(data)


# --- distributions -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("a", "m", "b"), [(0.0, 1.0, 4.0), (45.0, 52.0, 60.0), (0.8, 1.0, 1.2), (1.0, 1.0, 2.0)])
def test_pert_mean_is_a_plus_4m_plus_b_over_6(a: float, m: float, b: float) -> None:
    d = make_distribution("pert", {"low": a, "likely": m, "high": b})
    assert d.mean() == pytest.approx((a + 4 * m + b) / 6, rel=1e-12)
    # central mode: alpha = beta = 3, Var = alpha beta / ((alpha + beta)^2 (alpha + beta + 1)) (b - a)^2 = (b - a)^2 / 28
    if m == (a + b) / 2:
        assert d.std() == pytest.approx((b - a) / np.sqrt(28), rel=1e-12)


CASES = [
    ("uniform", {"low": 2.0, "high": 5.0}, stats.uniform(loc=2.0, scale=3.0)),
    ("triangular", {"low": 0.05, "likely": 0.1, "high": 0.2}, stats.triang(c=1 / 3, loc=0.05, scale=0.15)),
    ("pert", {"low": 2250.0, "likely": 2750.0, "high": 3500.0}, stats.beta(1 + 4 * 0.4, 1 + 4 * 0.6, loc=2250, scale=1250)),
    ("normal", {"mean": 0.125, "sd": 0.01}, stats.norm(0.125, 0.01)),
    ("truncated_normal", {"mean": 1.0, "sd": 0.2, "low": 0.8, "high": 1.5}, stats.truncnorm(-1.0, 2.5, loc=1.0, scale=0.2)),
    (
        "lognormal",
        {"mean": 52.0, "sd": 8.0},
        stats.lognorm(s=np.sqrt(np.log1p((8 / 52) ** 2)), scale=52 / np.sqrt(1 + (8 / 52) ** 2)),
    ),
]


@pytest.mark.parametrize(("kind", "params", "reference"), CASES, ids=[c[0] for c in CASES])
def test_sample_moments_match_scipy(kind: str, params: dict[str, float], reference: object) -> None:
    d = make_distribution(kind, params)
    assert d.mean() == pytest.approx(reference.mean(), rel=1e-9)  # type: ignore[attr-defined]
    assert d.var() == pytest.approx(reference.var(), rel=1e-9)  # type: ignore[attr-defined]
    for sampling, tol in (("lhs", 0.003), ("random", 0.03)):
        u = uniform_design(40_000, 1, sampling, np.random.default_rng(7))[:, 0]
        x = d.ppf(u)
        sd = np.sqrt(d.var())
        assert abs(x.mean() - d.mean()) < tol * sd
        assert x.var() == pytest.approx(d.var(), rel=5 * tol)
    if kind == "lognormal":
        assert d.mean() == pytest.approx(52.0)
        assert d.std() == pytest.approx(8.0)


def test_tabulated_pert_inverse_cdf_matches_the_exact_one() -> None:
    """Large PERT samples use a cubic Hermite table of the beta inverse CDF (10x faster); it must agree with
    scipy's exact inverse to 1e-9 of the range, tails included."""
    u = np.concatenate([np.random.default_rng(2).random(50_000), [1e-12, 0.01, 0.0099, 0.99, 0.9901, 1 - 1e-12]])
    for low, likely, high in ((0.0, 1.0, 4.0), (2250.0, 2750.0, 3500.0), (1.0, 1.0, 2.0), (0.0, 0.99, 1.0)):
        d = make_distribution("pert", {"low": low, "likely": likely, "high": high})
        a, b = pert_shape(low, likely, high)
        exact = stats.beta(a, b, loc=low, scale=high - low).ppf(np.clip(u, 1e-12, 1 - 1e-12))
        assert np.max(np.abs(d.ppf(u) - exact)) < 1e-9 * (high - low)


def test_ranks_with_ties_and_subsets_match_scipy() -> None:
    rng = np.random.default_rng(5)
    x = np.round(rng.normal(size=2000), 1)  # many ties
    keep = rng.random(2000) < 0.7
    col = SortedColumn.of(x)
    assert np.array_equal(col.ranks(), stats.rankdata(x))
    assert np.array_equal(col.ranks(keep), stats.rankdata(x[keep]))
    m = np.column_stack([x, rng.integers(0, 3, 2000), rng.random(2000)])
    assert np.allclose(rank_correlation(m), stats.spearmanr(m).statistic)


def test_rank_contributions_match_scipy_spearman_with_ties_gaps_and_a_constant_input() -> None:
    """Each rho is scipy's Spearman over the scenarios where the KPI has a value; shares are rho^2 / sum rho^2."""
    rng = np.random.default_rng(11)
    n = 3000
    samples = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.integers(0, 4, n).astype(float),  # ties
            "c": rng.random(n),
            "d": np.full(n, 2.0),  # constant: rho 0
        }
    )
    y1 = 2.0 * samples["a"] - samples["b"] + rng.normal(scale=0.5, size=n)
    y2 = np.where(rng.random(n) < 0.2, np.nan, samples["c"] ** 3 - 0.3 * samples["a"])  # gaps
    y3 = np.where(rng.random(n) < 0.2, np.nan, -samples["b"] + samples["c"])  # other gaps
    kpis = pd.DataFrame({"y1": y1, "y2": y2, "y3": y3})
    out = rank_contributions(samples, ["A", "B", "C", "D"], kpis, ["y1", "y2", "y3"])
    for name in ("y1", "y2", "y3"):
        ok = kpis[name].notna().to_numpy()
        block = out[out["kpi"] == name].set_index("path")
        for col in ("a", "b", "c"):
            expected = stats.spearmanr(samples[col][ok], kpis[name][ok]).statistic
            assert block.loc[col, "spearman"] == pytest.approx(expected, abs=1e-12), (name, col)
        assert block.loc["d", "spearman"] == 0.0
        rho2 = block["spearman"] ** 2
        assert block["share"].to_numpy() == pytest.approx((rho2 / rho2.sum()).to_numpy(), abs=1e-12)
        assert list(block.index) == list(block["spearman"].abs().sort_values(ascending=False, kind="stable").index)


@settings(deadline=None, max_examples=200)
@given(
    hnp.arrays(np.float64, st.integers(1, 300), elements=st.floats(-1e6, 1e6, allow_nan=False)),
    st.lists(st.floats(0, 100), min_size=1, max_size=6),
)
def test_percentiles_of_sorted_equal_numpys_bit_for_bit(x: np.ndarray, percents: list[float]) -> None:
    assert np.array_equal(percentiles_of_sorted(np.sort(x), percents), np.percentile(x, percents))


def test_discrete_sample_frequencies_and_moments() -> None:
    d = make_distribution("discrete", {"values": [2031, 2029, 2030], "probabilities": [0.2, 0.5, 0.3]})
    assert list(d.values) == [2029, 2030, 2031]  # sorted, probabilities follow their values
    assert d.mean() == pytest.approx(2029 * 0.5 + 2030 * 0.3 + 2031 * 0.2)
    x = d.ppf(uniform_design(10_000, 1, "lhs", np.random.default_rng(1))[:, 0])
    counts = {v: int(np.sum(x == v)) for v in (2029, 2030, 2031)}
    assert counts == {2029: 5000, 2030: 3000, 2031: 2000}  # LHS hits the probabilities exactly


@pytest.mark.parametrize(
    ("kind", "params", "match"),
    [
        ("pert", {"low": 60.0, "likely": 52.0, "high": 45.0}, "low .* must be below high"),
        ("triangular", {"low": 1.0, "likely": 3.0, "high": 2.0}, "likely .* between low"),
        ("normal", {"mean": 1.0, "sd": 0.0}, "sd .* must be > 0"),
        ("lognormal", {"mean": -1.0, "sd": 1.0}, "mean > 0"),
        ("discrete", {"values": [1, 2], "probabilities": [0.5, 0.4]}, "sum to 0.9"),
        ("uniform", {"low": 1.0, "high": 2.0, "mean": 1.5}, "mean does not apply"),
    ],
)
def test_inconsistent_parameters_are_refused(kind: str, params: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make_distribution(kind, params)


def test_latin_hypercube_puts_one_point_in_each_stratum() -> None:
    n, d = 1000, 6
    u = uniform_design(n, d, "lhs", np.random.default_rng(3))
    for j in range(d):
        assert np.array_equal(np.sort(np.floor(u[:, j] * n)), np.arange(n))
    # Iman-Conover only re-orders rows within columns: the stratification survives
    target = np.full((d, d), 0.3)
    np.fill_diagonal(target, 1.0)
    v = iman_conover(u, spearman_to_normal_scores(target), np.random.default_rng(4))
    for j in range(d):
        assert np.array_equal(np.sort(np.floor(v[:, j] * n)), np.arange(n))
    # plain random sampling does not stratify
    r = uniform_design(n, 1, "random", np.random.default_rng(3))
    assert len(np.unique(np.floor(r[:, 0] * n))) < n


def test_sorted_strata_are_latin_hypercube_values_in_order_and_presorted_iman_conover_agrees() -> None:
    n, d = 30_000, 3  # above the size where columns are re-ordered on threads
    u = sorted_strata(n, d, np.random.default_rng(8))
    assert np.all(np.diff(u, axis=0) > 0)
    for j in range(d):
        assert np.array_equal(np.floor(u[:, j] * n), np.arange(n))  # one point per stratum, ascending
    target = np.array([[1.0, 0.6, -0.3], [0.6, 1.0, 0.0], [-0.3, 0.0, 1.0]])
    scores = spearman_to_normal_scores(target)
    a = iman_conover(u, scores, np.random.default_rng(9), presorted=True)
    b = iman_conover(u[::-1].copy(), scores, np.random.default_rng(9))  # unsorted input: sorted inside
    assert np.array_equal(a, b)
    assert np.max(np.abs(rank_correlation(a) - target)) < 0.02


# --- correlation ---------------------------------------------------------------------------------------------


def test_iman_conover_reaches_the_target_rank_correlation() -> None:
    target = np.array(
        [
            [1.0, 0.7, -0.4, 0.2],
            [0.7, 1.0, -0.3, 0.0],
            [-0.4, -0.3, 1.0, 0.5],
            [0.2, 0.0, 0.5, 1.0],
        ]
    )
    assert correlation_problems(target) == []
    rng = np.random.default_rng(11)
    x = np.column_stack(
        [
            stats.lognorm(0.5).ppf(uniform_design(10_000, 1, "lhs", rng)[:, 0]),
            rng.uniform(size=10_000),
            stats.beta(2, 5).rvs(size=10_000, random_state=rng),
            rng.normal(size=10_000),
        ]
    )
    y = iman_conover(x, spearman_to_normal_scores(target), np.random.default_rng(12))
    assert np.max(np.abs(rank_correlation(y) - target)) < 0.02
    for j in range(4):  # marginals untouched
        assert np.array_equal(np.sort(y[:, j]), np.sort(x[:, j]))


def test_nearest_correlation_matches_highams_example() -> None:
    # Higham (2002), section 4: the nearest correlation matrix to [[1,1,0],[1,1,1],[0,1,1]]
    a = np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 1.0], [0.0, 1.0, 1.0]])
    expected = np.array([[1.0, 0.7607, 0.1573], [0.7607, 1.0, 0.7607], [0.1573, 0.7607, 1.0]])
    x = nearest_correlation(a)
    assert np.max(np.abs(x - expected)) < 2e-3
    assert correlation_problems(x) == []


def test_invalid_matrix_is_repaired_and_the_repair_reported() -> None:
    bad = np.array([[1.0, 0.9, 0.9], [0.9, 1.0, -0.9], [0.9, -0.9, 1.0]])
    assert any("positive definite" in p for p in correlation_problems(bad))
    used, repair = prepare_correlation(bad, ["a", "b", "c"])
    assert repair is not None
    assert correlation_problems(used) == []
    assert repair.max_change == pytest.approx(np.max(np.abs(used - bad)))
    assert repair.max_change > 0.1
    assert repair.smallest_eigenvalue_before < 0
    assert {(a, b) for a, b, _, _ in repair.changes} == {("a", "b"), ("a", "c"), ("b", "c")}
    assert "nearest valid" in repair.describe()
    assert "b ~ c: -0.900 ->" in repair.describe()
    valid, none = prepare_correlation(np.eye(3), ["a", "b", "c"])
    assert none is None
    assert np.array_equal(valid, np.eye(3))


def test_montecarlo_reports_a_repaired_matrix(base: tem.Assumptions) -> None:
    spec = spec_of(
        n=500,
        inputs=[
            {"path": FOB, "mode": "scale", "distribution": "uniform", "low": 0.8, "high": 1.2},
            {"path": CAPTIVE_PRICE, "mode": "scale", "distribution": "uniform", "low": 0.8, "high": 1.2},
            {"path": "demand.ess.price_usd_per_kwh", "mode": "scale", "distribution": "uniform", "low": 0.8, "high": 1.2},
        ],
        correlations=[
            {"between": [FOB, CAPTIVE_PRICE], "rank": 0.9},
            {"between": [FOB, "demand.ess.price_usd_per_kwh"], "rank": 0.9},
            {"between": [CAPTIVE_PRICE, "demand.ess.price_usd_per_kwh"], "rank": -0.9},
        ],
    )
    r = montecarlo(base, spec)
    assert r.correlation_repair is not None
    assert "nearest valid" in r.correlation_note
    assert r.document()["correlation_repair"].startswith("The correlation matrix given is not a valid")
    assert correlation_problems(r.correlation_used.to_numpy()) == []
    assert r.correlation_target.loc[FOB, CAPTIVE_PRICE] == 0.9
    assert np.max(np.abs(r.correlation_achieved.to_numpy() - r.correlation_used.to_numpy())) < 0.05


# --- the model under Monte Carlo ----------------------------------------------------------------------------


def test_linear_toy_converges_to_the_analytic_mean_and_variance(base: tem.Assumptions) -> None:
    """Total revenue is linear in a scale on the captive selling price (overflow demand is bought in, so every
    GWh of demand is sold): revenue = R0 + s x Rc. With s ~ uniform(0.8, 1.2) and s ~ PERT(0.7, 1, 1.6), the
    Monte Carlo mean and variance must match R0 + Rc E[s] and Rc^2 Var[s]."""
    ends = tem.run_batch(base, scales={CAPTIVE_PRICE: np.array([0.0, 1.0, 0.5])})["revenue_inr_cr"].to_numpy()
    r0, rc = ends[0], ends[1] - ends[0]
    assert ends[2] == pytest.approx(r0 + 0.5 * rc, rel=1e-12)  # linear indeed
    for dist, params, mean_s, var_s in (
        ("uniform", {"low": 0.8, "high": 1.2}, 1.0, 0.4**2 / 12),
        (
            "pert",
            {"low": 0.7, "likely": 1.0, "high": 1.6},
            (0.7 + 4 + 1.6) / 6,
            stats.beta(1 + 1.2 / 0.9, 1 + 2.4 / 0.9).var() * 0.81,
        ),
    ):
        spec = spec_of(
            n=4000,
            kpis=["revenue_inr_cr"],
            inputs=[{"path": CAPTIVE_PRICE, "mode": "scale", "distribution": dist, **params}],
        )
        rev = montecarlo(base, spec).kpis["revenue_inr_cr"].to_numpy()
        assert rev.mean() == pytest.approx(r0 + rc * mean_s, rel=1e-5)
        assert rev.var() == pytest.approx(rc**2 * var_s, rel=0.01)


def test_same_seed_same_results_whatever_the_chunk_size(base: tem.Assumptions) -> None:
    spec = load_montecarlo_spec(SPEC)
    a = montecarlo(base, spec, n=300, seed=5)
    b = montecarlo(base, spec, n=300, seed=5, chunk_size=37)
    pd.testing.assert_frame_equal(a.samples, b.samples, check_exact=True)
    pd.testing.assert_frame_equal(a.kpis, b.kpis, check_exact=True)
    pd.testing.assert_frame_equal(a.summary, b.summary, check_exact=True)
    c = montecarlo(base, spec, n=300, seed=6)
    assert not np.array_equal(a.samples.to_numpy(), c.samples.to_numpy())
    # the first rows do not depend on N either way: the design changes with N, so they differ; state it
    assert a.n == 300
    assert a.seed == 5
    assert a.sampling == "lhs"


def test_base_case_spec_runs_and_reports(base: tem.Assumptions) -> None:
    spec = load_montecarlo_spec(SPEC)
    r = montecarlo(base, spec, n=1000)
    assert r.correlation_repair is None  # the shipped matrix is valid
    s = r.summary
    assert list(s.index) == spec.kpis
    for kpi, row in s.iterrows():
        if row["n_valid"]:
            assert row["p5"] <= row["p10"] <= row["p50"] <= row["p90"] <= row["p95"], kpi
    assert s.loc["npv_inr_cr", "n_valid"] == 1000
    h = r.headline
    assert h["p_npv_negative"] == pytest.approx(float(np.mean(r.kpis["npv_inr_cr"] < 0)))
    assert h["n_with_irr"] + h["n_without_irr"] == 1000
    assert h["hurdle_rate"] == base.valuation.hurdle_rate
    assert sum(h["without_irr_by_reason"].values()) == h["n_without_irr"]
    # contributions: one row per input and KPI; shares sum to 1 for each KPI
    c = r.rank_contributions
    assert len(c) == len(spec.inputs) * len(spec.kpis)
    assert c.groupby("kpi")["share"].sum().to_numpy() == pytest.approx(1.0)
    # convergence table ends at N with the summary's numbers
    conv = r.convergence[r.convergence["kpi"] == "npv_inr_cr"]
    assert list(conv["n"]) == [100, 200, 500, 1000]
    assert conv["mean"].iloc[-1] == pytest.approx(s.loc["npv_inr_cr", "mean"])
    assert conv["p90"].iloc[-1] == pytest.approx(s.loc["npv_inr_cr", "p90"])
    # every input's samples stay within its distribution's support
    for row in r.inputs.itertuples():
        col = r.samples[row.path]
        assert col.notna().all()
    json.dumps(r.document(), allow_nan=False)


def test_discrete_choice_of_paths_and_drift(base: tem.Assumptions) -> None:
    spec = spec_of(
        n=400,
        inputs=[
            {
                "path": "cells.imported.bcd_rate_vehicle",
                "distribution": "discrete",
                "values": [{"FY26": 0.05}, {"FY26": 0.05, "FY29": 0.2}],
                "probabilities": [0.5, 0.5],
            },
            {"path": "timeline.inr_per_usd", "mode": "drift", "distribution": "uniform", "low": 0.0, "high": "+1.5%"},
        ],
    )
    inp = build_inputs(base)
    resolved = resolve_spec(spec, base, inp)
    draws = np.array([[0.0, 0.0], [1.0, 0.015]])
    values, scales = batch_arrays(inp, resolved, draws)
    assert not scales
    duty = values["cells.imported.bcd_rate_vehicle"]
    assert np.all(duty[0] == 0.05)
    assert duty[1, 2] == 0.05
    assert duty[1, 3] == 0.2
    fx = values["timeline.inr_per_usd"]
    base_fx = inp.arrays["timeline.inr_per_usd"][0]
    assert np.array_equal(fx[0], base_fx)
    assert fx[1] == pytest.approx(base_fx * 1.015 ** np.arange(base_fx.size))
    r = montecarlo(base, spec)
    means = set(np.round(r.samples["cells.imported.bcd_rate_vehicle"].unique(), 6))
    assert means == {0.05, round((3 * 0.05 + 17 * 0.2) / 20, 6)}  # the path's average over the horizon


def test_headline_counts_irr_reasons() -> None:
    kpis = pd.DataFrame(
        {
            "npv_inr_cr": [-1.0, 2.0, -3.0, 4.0],
            "incremental_npv_vs_import_inr_cr": [1.0, 1.0, -1.0, 1.0],
            "irr": [0.10, 0.20, np.nan, np.nan],
            "irr_status": [0, 0, 1, 3],
        }
    )
    h = headline(kpis, 0.145)
    assert h["p_npv_negative"] == 0.5
    assert h["p_incremental_npv_negative"] == 0.25
    assert h["p_irr_below_hurdle"] == 0.5
    assert h["n_with_irr"] == 2
    assert h["without_irr_by_reason"] == {tem.finance.IRR_STATUS[1]: 1, tem.finance.IRR_STATUS[3]: 1}


def test_convergence_steps() -> None:
    assert convergence_steps(10_000) == [100, 200, 500, 1000, 2000, 5000, 10_000]
    assert convergence_steps(150) == [100, 150]
    assert convergence_steps(100) == [100]


# --- spec errors --------------------------------------------------------------------------------------------


def spec_error(tmp_path: Path, base: tem.Assumptions, body: str) -> str:
    path = write_spec(tmp_path, body)
    with pytest.raises(AssumptionError) as info:
        montecarlo(base, path)
    return str(info.value)


def test_unknown_path_suggests_the_nearest(tmp_path: Path, base: tem.Assumptions) -> None:
    msg = spec_error(
        tmp_path,
        base,
        """\
        n: 100
        inputs:
          - path: cells.imported.fob_price_usd_per_kw
            distribution: uniform
            low: 40
            high: 60
        """,
    )
    assert "mc.yaml:3: inputs.0.path: unknown input path 'cells.imported.fob_price_usd_per_kw'" in msg
    assert "did you mean 'cells.imported.fob_price_usd_per_kwh'?" in msg


def test_unknown_key_and_bad_parameters_are_listed_together(tmp_path: Path, base: tem.Assumptions) -> None:
    msg = spec_error(
        tmp_path,
        base,
        """\
        n: 100
        inputs:
          - path: cells.imported.fob_price_usd_per_kwh
            distribution: pert
            lowest: 40
            likely: 52
            high: 60
          - path: timeline.discount_rate
            distribution: discrete
            values: [0.11, 0.125, 0.15]
            probabilities: [0.3, 0.3, 0.3]
          - path: capex.phases.cell_plant_1.capex_inr_cr
            distribution: normal
            mean: 2750
          - path: timeline.inflation_rate
            distribution: triangular
            low: 0.03
            likely: "12 percent"
            high: 0.06
        """,
    )
    assert "mc.yaml:5: inputs.0.lowest: unknown key 'lowest'; did you mean 'low'?" in msg
    assert "inputs.1: probabilities sum to 0.9; they must sum to 1" in msg
    assert "inputs.2: normal needs mean, sd; missing sd" in msg
    assert "inputs.3: likely = '12 percent' is neither a number nor a relative change" in msg


def test_parameters_checked_once_absolute(tmp_path: Path, base: tem.Assumptions) -> None:
    msg = spec_error(
        tmp_path,
        base,
        """\
        n: 100
        inputs:
          - path: cells.imported.fob_price_usd_per_kwh
            distribution: pert
            low: 60
            likely: "0%"
            high: "+10%"
          - path: cells.imported.bcd_rate_ess
            distribution: uniform
            low: 0.1
            high: 1.5
          - path: transition.local_cells_start_fy
            distribution: discrete
            values: ["+0%", "+1%"]
            probabilities: [0.5, 0.5]
          - path: capex.phases.cell_plant_1.commissioning_fy
            distribution: uniform
            low: 2031
            high: 2033
          - path: cells.local.yield_ramp
            mode: scale
            distribution: pert
            low: 0.9
            likely: 1.0
            high: 1.1
        kpis: [npv_inr_cr, npv_inr]
        """,
    )
    # the FOB path starts at 50: likely = 50, high = 55, below low = 60
    assert "mc.yaml:3: inputs.0: cells.imported.fob_price_usd_per_kwh: pert: low (60) must be below high (55)" in msg
    assert "inputs.1: cells.imported.bcd_rate_ess: this distribution can give 1.5, above the allowed maximum 1" in msg
    assert "inputs.2.values: transition.local_cells_start_fy: give absolute whole numbers" in msg
    assert "inputs.3.distribution: capex.phases.cell_plant_1.commissioning_fy: a fiscal year" in msg
    assert "inputs.4: cells.local.yield_ramp: this distribution can give 1.045, above the allowed maximum 1" in msg
    assert "kpis.1: unknown KPI 'npv_inr'; did you mean 'npv_inr_cr'?" in msg


def test_duplicates_and_correlation_mistakes(tmp_path: Path, base: tem.Assumptions) -> None:
    path = write_spec(
        tmp_path,
        """\
        n: 100
        inputs:
          - {path: timeline.discount_rate, distribution: uniform, low: 0.11, high: 0.15}
          - {path: timeline.discount_rate, distribution: uniform, low: 0.11, high: 0.15}
        correlations:
          - between: [timeline.discount_rate, timeline.discount_rat]
            rank: 0.5
        """,
    )
    with pytest.raises(AssumptionError) as info:
        load_montecarlo_spec(path)
    msg = str(info.value)
    assert "inputs listed more than once: timeline.discount_rate" in msg
    assert "'timeline.discount_rat' is not among the uncertain inputs; did you mean 'timeline.discount_rate'?" in msg
    path = write_spec(
        tmp_path,
        """        inputs:
          - {path: timeline.discount_rate, distribution: uniform, low: 0.11, high: 0.15}
          - {path: timeline.inflation_rate, distribution: uniform, low: 0.03, high: 0.06}
        correlations:
          - between: [timeline.discount_rate, timeline.inflation_rate]
            rank: 1.5
          - between: [timeline.inflation_rate, timeline.inflation_rate]
            rank: 0.5
        """,
    )
    with pytest.raises(AssumptionError) as info:
        load_montecarlo_spec(path)
    msg = str(info.value)
    assert "mc.yaml:6: correlations.0.rank: 1.5: Input should be less than or equal to 1" in msg
    assert "correlations.1.between: an input cannot be correlated with itself ('timeline.inflation_rate')" in msg


def test_normal_on_a_positive_input_is_refused_when_it_can_go_negative(tmp_path: Path, base: tem.Assumptions) -> None:
    msg = spec_error(
        tmp_path,
        base,
        """\
        n: 100
        inputs:
          - path: capex.phases.cell_plant_1.capex_inr_cr
            distribution: normal
            mean: 2750
            sd: "30%"
        """,
    )
    assert "below the allowed minimum 0 (use truncated_normal to bound it)" in msg
    ok = write_spec(
        tmp_path,
        """\
        n: 100
        inputs:
          - path: capex.phases.cell_plant_1.capex_inr_cr
            distribution: truncated_normal
            mean: 2750
            sd: "30%"
            low: "-50%"
            high: "+100%"
        """,
        "ok.yaml",
    )
    r = montecarlo(base, ok)
    col = r.samples["capex.phases.cell_plant_1.capex_inr_cr"]
    assert col.min() >= 1375
    assert col.max() <= 5500


# --- Sobol --------------------------------------------------------------------------------------------------


def test_sobol_indices_of_an_additive_kpi(base: tem.Assumptions) -> None:
    """Revenue is additive in the two price scales and does not depend on the discount rate: S1 sums to about 1,
    S1 = ST, and the discount rate gets nothing."""
    spec = spec_of(
        n=100,
        kpis=["revenue_inr_cr", "irr"],
        inputs=[
            {"path": CAPTIVE_PRICE, "mode": "scale", "distribution": "uniform", "low": 0.5, "high": 1.5},
            {"path": "demand.ess.price_usd_per_kwh", "mode": "scale", "distribution": "uniform", "low": 0.9, "high": 1.1},
            {"path": "timeline.discount_rate", "distribution": "uniform", "low": 0.11, "high": 0.15},
        ],
    )
    s = sobol(base, spec, 256)
    assert s.n_evaluations == 256 * 5
    assert set(s.indices["kpi"]) <= {"revenue_inr_cr", "irr"}
    t = s.indices[s.indices["kpi"] == "revenue_inr_cr"].set_index("path")
    assert t["S1"].sum() == pytest.approx(1.0, abs=0.05)
    assert t.loc[CAPTIVE_PRICE, "ST"] > t.loc["demand.ess.price_usd_per_kwh", "ST"]
    assert t.loc["timeline.discount_rate", "ST"] == pytest.approx(0.0, abs=1e-9)
    assert (t["S1_conf"] > 0).any()
    # checked by the spec file's own rule, naming the argument (issue 10: options never bypass the spec's limits)
    with pytest.raises(tem.AssumptionError, match=r"^n_base: 100 is not allowed; allowed: a power of 2"):
        sobol(base, spec, 100)


# --- exports and CLI ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_result(base: tem.Assumptions):
    import dataclasses

    r = montecarlo(base, SPEC, n=300)
    return dataclasses.replace(r, sobol=sobol(base, SPEC, 64))


def test_workbook_sheets_and_chart(small_result) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(render_montecarlo_workbook(small_result)))
    # the base has a gate: the Decisions sheet (value of flexibility, decision tree) follows the Summary
    assert wb.sheetnames == [
        "Summary", "Decisions", "Inputs", "Correlations", "Convergence", "Contributions", "Sobol", "Samples"
    ]
    assert wb["Summary"]["A1"].value == "Monte Carlo: base"
    assert len(wb["Contributions"]._charts) == len(small_result.summary)
    assert wb["Samples"].max_row == 301
    values = [c.value for c in wb["Summary"]["A"]]
    assert "P(NPV < 0)" in values


def test_figures(small_result) -> None:
    h = histogram_figure(small_result, "npv_inr_cr")
    assert len(h.layout.shapes) == 3  # P10, P50, P90
    s = s_curve_figure(small_result, "irr")
    assert s.data[0].y[-1] <= 1.0
    # IRR S-curve in %, with the zero line and the hurdle line at the hurdle rate (issue 14)
    assert s.layout.xaxis.tickformat == ".1%"
    assert s.layout.yaxis.tickformat == ".0%"
    xs = sorted(sh.x0 for sh in s.layout.shapes)
    assert xs == sorted([0.0, small_result.headline["hurdle_rate"]])
    assert any("hurdle" in a.text for a in s.layout.annotations)
    assert [sh.x0 for sh in s_curve_figure(small_result, "npv_inr_cr").layout.shapes] == [0.0]
    f = sobol_figure(small_result, "npv_inr_cr")
    assert f.data[0].error_x.array is not None
    assert len(f.data) == 2
    # a KPI outside the spec; and any KPI skipped because some evaluations have no value (on the issue-12 base the
    # IRR exists in every evaluation, so which KPIs are skipped depends on the base case)
    with pytest.raises(tem.TemError, match="no Sobol indices for 'payback_years': not among the KPIs analysed"):
        sobol_figure(small_result, "payback_years")
    for kpi in small_result.sobol.skipped:
        with pytest.raises(tem.TemError, match=f"no Sobol indices for '{kpi}'"):
            sobol_figure(small_result, kpi)


def test_files_and_manifest(small_result) -> None:
    files = render_montecarlo_files(small_result, png=False)
    # every scenario goes to samples.parquet; samples.csv only on request (issue 15)
    assert {"montecarlo.xlsx", "summary.json", "samples.parquet", "sobol.csv", "charts/plotly.min.js"} <= set(files)
    assert "samples.csv" not in files
    manifest = json.loads(files["manifest.json"])
    assert manifest["seed"] == small_result.seed
    assert manifest["n"] == 300
    assert manifest["sampling"] == "lhs"
    assert manifest["spec_file"]["path"].endswith("montecarlo.yaml")
    assert len(manifest["spec_file"]["sha256"]) == 64
    assert manifest["assumption_files"][0]["path"].endswith("base.yaml")
    assert set(manifest["outputs"]) == set(files) - {"manifest.json"}


def test_samples_files_hold_every_scenario_bit_for_bit(small_result) -> None:
    """samples.parquet keeps every float64 bit; samples.csv is the text pandas writes with %.10g (the witness)."""
    files = render_montecarlo_files(small_result, png=False, excel=False, samples_csv=True)
    expected = pd.concat([small_result.samples, small_result.kpis], axis=1)
    table = pd.read_parquet(io.BytesIO(files["samples.parquet"])).set_index("scenario")
    assert list(table.columns) == list(expected.columns)
    np.testing.assert_array_equal(table.to_numpy(), expected.to_numpy(dtype=float))
    assert files["samples.csv"] == expected.to_csv(float_format="%.10g")


def test_samples_csv_text_equals_pandas_with_nan_inf_and_integers() -> None:
    import types

    from tem.analysis.montecarlo.samples_files import samples_csv

    samples = pd.DataFrame({"a.b": [1.0, np.nan, -0.0, 1e-300], "c": [2030.0, 1 / 3, np.inf, -np.inf]})
    kpis = pd.DataFrame({"npv": [np.nan, 1e12, -5.5, 123456789.123456789]})
    fake = types.SimpleNamespace(samples=samples, kpis=kpis, n=4)
    expected = pd.concat([samples, kpis], axis=1).rename_axis("scenario").to_csv(float_format="%.10g")
    assert samples_csv(fake) == expected
    assert samples_csv(fake).splitlines()[2] == "1,,0.3333333333,1e+12"


def test_workbook_samples_sheet_states_its_cap(small_result) -> None:
    from tem.analysis.montecarlo.workbook import SAMPLE_ROWS

    ws = openpyxl.load_workbook(io.BytesIO(render_montecarlo_workbook(small_result)))["Samples"]
    header = [c.value for c in ws[1]]
    assert f"at most the first {SAMPLE_ROWS:,} scenarios: here 300 of 300" in header[-1]
    assert ws.freeze_panes == "B2"
    row = [c.value for c in ws[2]][: 1 + small_result.samples.shape[1]]
    assert row[0] == 0
    np.testing.assert_allclose(row[1:], small_result.samples.iloc[0].to_numpy(), rtol=1e-15)  # xlsx keeps ~16 digits


def test_cli_bad_spec_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    bad = write_spec(tmp_path, "n: 100\ninputs:\n  - {path: no.such.path, distribution: uniform, low: 0, high: 1}\n")
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["montecarlo", str(BASE), "--spec", str(bad), "--out", str(out), "--quiet"])
    assert res.exit_code == 2
    assert "unknown input path 'no.such.path'" in res.stderr
    assert "Traceback" not in res.output
    assert not out.exists()
    res = CliRunner().invoke(app, ["montecarlo", str(BASE), "--spec", str(SPEC), "--out", str(out), "--sobol", "100"])
    assert res.exit_code == 2
    assert "power of 2" in res.stderr


def test_cli_small_run_writes_outputs_and_json(tmp_path: Path) -> None:
    args = ["montecarlo", str(BASE), "--spec", str(SPEC), "--n", "200", "--seed", "3", "--out", str(tmp_path), "--no-png"]
    res = CliRunner().invoke(app, [*args, "--quiet"])
    assert res.exit_code == 0, res.output
    folder = tmp_path / "base" / "montecarlo"
    names = ("montecarlo.xlsx", "summary.json", "summary.csv", "samples.parquet", "manifest.json", "charts/plotly.min.js")
    for name in names:
        assert (folder / name).is_file(), name
    assert len(pd.read_parquet(folder / "samples.parquet")) == 200
    assert not (folder / "samples.csv").exists()  # CSV on request (issue 15)
    res = CliRunner().invoke(app, [*args, "--quiet", "--samples-csv"])
    assert res.exit_code == 0, res.output
    assert len(pd.read_csv(folder / "samples.csv")) == 200
    res = CliRunner().invoke(app, [*args, "--json", "--quiet"])
    assert res.exit_code == 0
    doc = json.loads(res.stdout)
    assert doc["n"] == 200
    assert doc["seed"] == 3
    assert 0.0 <= doc["headline"]["p_npv_negative"] <= 1.0
    assert set(doc["summary"]["npv_inr_cr"]) >= {"mean", "p10", "p50", "p90"}


def test_progress_is_reported_per_chunk(base: tem.Assumptions) -> None:
    seen: list[tuple[str, int, int]] = []
    montecarlo(base, SPEC, n=250, chunk_size=100, progress=lambda stage, done, total: seen.append((stage, done, total)))
    assert [s for s in seen if s[0] == "evaluate"] == [
        ("evaluate", 100, 250),
        ("evaluate", 200, 250),
        ("evaluate", 250, 250),
    ]
    assert ("sample", 250, 250) in seen


def test_probabilities_never_round_to_certainty() -> None:
    from tem.cli.montecarlo import probability

    assert probability(0.99995) == "> 99.9%"
    assert probability(1.0) == "100.0%"
    assert probability(0.00004) == "< 0.1%"
    assert probability(0.0) == "0.0%"
    assert probability(0.9198) == "92.0%"


# --- bounded memory: the design in blocks, evaluated in chunks (issue 15 target 4, issue 10 item 19) -----------


def test_rank_correlation_of_doubled_ranks_matches_scipy_with_ties_and_a_constant_column() -> None:
    from tem.analysis.montecarlo import stats as mc_stats

    rng = np.random.default_rng(5)
    n = 5000
    m = np.column_stack([rng.normal(size=n), rng.integers(0, 3, n), rng.random(n), np.full(n, 1.5)])
    m[:, 2] += 0.5 * m[:, 0]
    r2 = np.column_stack([mc_stats.doubled_ranks(m[:, j]) for j in range(4)])
    assert r2.dtype == np.int32
    assert np.array_equal(r2[:, 1] / 2.0, stats.rankdata(m[:, 1]))  # ties averaged, exact
    got = mc_stats.rank_correlation_of_doubled(r2)
    expected = stats.spearmanr(m[:, :3]).statistic
    np.testing.assert_allclose(got[:3, :3], expected, atol=1e-13)
    assert got[3, 3] == 1.0
    assert not got[3, :3].any()
    # blocks of rows accumulate to the same matrix as one pass (to rounding)
    old = mc_stats.RANK_ROWS
    try:
        mc_stats.RANK_ROWS = 333
        np.testing.assert_allclose(mc_stats.rank_correlation_of_doubled(r2), got, atol=1e-14)
    finally:
        mc_stats.RANK_ROWS = old


def test_streaming_in_blocks_equals_the_whole_design_in_memory(base: tem.Assumptions) -> None:
    """Blocks of 400 scenarios evaluated in chunks of 150: the same bits as drawing the whole design at once,
    evaluating it in one call and computing the statistics from it (the in-memory path)."""
    from tem.analysis.montecarlo.run import assemble, draw, evaluate_draws
    from tem.analysis.montecarlo.stream import block_bounds

    spec = load_montecarlo_spec(SPEC)
    n, block = 1000, 400
    assert block_bounds(n, block) == [(0, 400), (400, 800), (800, 1000)]
    streamed = montecarlo(base, spec, n=n, seed=9, chunk_size=150, block=block)
    inp = build_inputs(base)
    resolved = resolve_spec(spec.model_copy(update={"n": n}), base, inp)
    d = draw(resolved, n, 9, spec.sampling, block)
    whole = assemble(base, resolved, d, evaluate_draws(inp, resolved, d.values), 9)
    for field in ("samples", "kpis", "summary", "convergence", "rank_contributions", "correlation_achieved", "inputs"):
        pd.testing.assert_frame_equal(getattr(streamed, field), getattr(whole, field), check_exact=True, obj=field)
    assert streamed.headline == whole.headline
    # a different chunk size: the same bits again
    other = montecarlo(base, spec, n=n, seed=9, chunk_size=77, block=block)
    pd.testing.assert_frame_equal(other.kpis, streamed.kpis, check_exact=True)
    pd.testing.assert_frame_equal(other.summary, streamed.summary, check_exact=True)
    # each block is its own Latin hypercube: the uniform input (INR drift, 0 to 0.015) has one point in each
    # 1/m of its range per block of m scenarios
    drift = d.values[:, resolved.paths.index("timeline.inr_per_usd")] / 0.015
    for start, stop in block_bounds(n, block):
        m = stop - start
        strata = np.floor(np.sort(drift[start:stop]) * m + 1e-9)
        assert np.array_equal(strata, np.arange(m)), (start, stop)


def test_one_block_keeps_the_design_of_a_single_latin_hypercube(base: tem.Assumptions) -> None:
    """Up to the block size the design is one Latin hypercube seeded by the run's seed (results up to 262,144
    scenarios are unchanged by the blocks)."""
    from tem.analysis.montecarlo.stream import DESIGN_BLOCK, block_bounds

    assert block_bounds(DESIGN_BLOCK) == [(0, DESIGN_BLOCK)]
    assert len(block_bounds(DESIGN_BLOCK + 1)) == 2
    spec = load_montecarlo_spec(SPEC)
    a = montecarlo(base, spec, n=500, seed=4)
    b = montecarlo(base, spec, n=500, seed=4, block=500)
    pd.testing.assert_frame_equal(a.samples, b.samples, check_exact=True)
    c = montecarlo(base, spec, n=500, seed=4, block=250)
    assert not np.array_equal(a.samples.to_numpy(), c.samples.to_numpy())


def test_statistics_of_large_runs_equal_those_of_small_runs(base: tem.Assumptions, monkeypatch: pytest.MonkeyPatch) -> None:
    """Beyond one design block the statistics go one column at a time (bounded memory): the same bits."""
    from tem.analysis.montecarlo import run as mc_run

    spec = load_montecarlo_spec(SPEC)
    small = montecarlo(base, spec, n=700, seed=12)
    monkeypatch.setattr(mc_run, "SMALL_STATISTICS", 0)
    large = montecarlo(base, spec, n=700, seed=12)
    for field in ("summary", "convergence", "rank_contributions", "correlation_achieved", "inputs"):
        pd.testing.assert_frame_equal(getattr(large, field), getattr(small, field), check_exact=True, obj=field)
