"""Scenario comparison and bridges: side-by-side KPIs, statement deltas, assumption diff, sequential and Shapley
bridges that add up, their exports and ``tem compare``."""

from __future__ import annotations

import functools
import hashlib
import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import tem
import tem.cli
import tem.cli.compare  # registers `tem compare`
from tem import catalogue
from tem.analysis.scenarios.bridge import (
    DEFAULT_GROUPS,
    Bridge,
    BridgeError,
    StructureMismatchError,
    align_inputs,
    bridge,
    default_group,
    permutation_masks,
    shapley_exact,
    shapley_from_orders,
    stack_inputs,
)
from tem.analysis.scenarios.bridge_inputs import evaluate_kpis
from tem.analysis.scenarios.compare import compare
from tem.analysis.scenarios.export import (
    bridge_waterfall,
    comparison_folder,
    kpi_bars,
    render_comparison_files,
    render_comparison_workbook,
)
from tem.assumptions.walk import iter_leaves
from tem.exports.charts.png import png_available

ROOT = Path(__file__).parents[3]
BASE = ROOT / "assumptions" / "base.yaml"
SCENARIOS = sorted((ROOT / "assumptions" / "scenarios").glob("*.yaml"))
SCENARIO_IDS = [p.stem for p in SCENARIOS]
REL = 1e-9


@functools.cache
def base() -> tem.Assumptions:
    return tem.load(BASE)


@functools.cache
def scenario(stem: str) -> tem.Assumptions:
    return tem.load(ROOT / "assumptions" / "scenarios" / f"{stem}.yaml")


_NPV: dict[int, tuple[tem.Assumptions, float]] = {}  # by id, holding the set so the id stays its own


def npv_of(a: tem.Assumptions) -> float:
    if id(a) not in _NPV:
        _NPV[id(a)] = (a, float(tem.run(a).kpis["npv_inr_cr"]))
    return _NPV[id(a)][1]


def close(x: float, y: float, scale: float) -> bool:
    """Equal to floating rounding: within 1e-9 of the size of the numbers involved."""
    return abs(x - y) <= REL * max(1.0, abs(scale))


def assert_adds_up(b: Bridge) -> None:
    scale = max(abs(b.kpi_a), abs(b.kpi_b))
    assert close(sum(b.contributions), b.kpi_b - b.kpi_a, scale), (sum(b.contributions), b.difference)


def values_of(a: tem.Assumptions, paths: list[str]) -> dict[str, Any]:
    """Raw values (as written) of some paths of an assumption set, usable as overrides."""
    leaves = {leaf.path: leaf.value for leaf in iter_leaves(a)}
    return {p: leaves[p] for p in paths}


# --- the Shapley and sequential arithmetic on toy games ---------------------------------------------------------


def toy_values(k: int, fn: Any) -> np.ndarray:
    return np.array([fn([(m >> i) & 1 for i in range(k)]) for m in range(2**k)], dtype=float)


def test_shapley_of_an_additive_toy_is_each_players_own_effect() -> None:
    effects = np.array([3.0, -5.0, 0.25, 11.0])
    v = toy_values(4, lambda x: 100.0 + float(np.dot(effects, x)))
    np.testing.assert_allclose(shapley_exact(v, 4), effects, rtol=0, atol=1e-12)
    orders = np.random.default_rng(3).permuted(np.tile(np.arange(4), (50, 1)), axis=1)
    along = v[permutation_masks(orders)]
    phi, se = shapley_from_orders(orders, along, 4)
    np.testing.assert_allclose(phi, effects, atol=1e-12)  # every order gives the same marginals
    np.testing.assert_allclose(se, 0.0, atol=1e-12)


def test_shapley_splits_an_interaction_equally_and_sequential_gives_it_to_the_later_player() -> None:
    # v = 10 x1 + 4 x2 + 6 x1 x2: Shapley gives the interaction 6 half each; sequential gives it to whoever
    # is switched second (v(1) - v(0) = 10 for player 1 switched first).
    v = toy_values(2, lambda x: 10 * x[0] + 4 * x[1] + 6 * x[0] * x[1])
    np.testing.assert_allclose(shapley_exact(v, 2), [13.0, 7.0])
    first_then_second = [v[0b01] - v[0], v[0b11] - v[0b01]]
    second_then_first = [v[0b11] - v[0b10], v[0b10] - v[0]]
    assert first_then_second == [10.0, 10.0]
    assert second_then_first == [16.0, 4.0]


def test_sampled_shapley_orders_telescope() -> None:
    v = toy_values(5, lambda x: float(np.prod([1 + 0.3 * i * xi for i, xi in enumerate(x, 1)])))
    orders = np.random.default_rng(0).permuted(np.tile(np.arange(5), (7, 1)), axis=1)
    phi, _ = shapley_from_orders(orders, v[permutation_masks(orders)], 5)
    assert math.isclose(phi.sum(), v[-1] - v[0], rel_tol=1e-12)


# --- batches from per-scenario arrays ---------------------------------------------------------------------------


def test_stack_inputs_shares_what_is_common_and_matches_single_runs() -> None:
    a, b = base(), scenario("cell_price_war")
    pair = align_inputs(a, b)
    path = "cells.imported.fob_price_usd_per_kwh"
    batch = stack_inputs(pair.a, [{}, {path: pair.b.arrays[path]}, {}])
    assert batch.n_scenarios == 3
    assert batch.arrays[path].shape == (3, 20)
    assert batch.arrays["tax.corporate_rate"].shape == (1, 1)  # not given: the template's one row, broadcast
    np.testing.assert_array_equal(batch.arrays[path][1], pair.b.arrays[path][0])
    npv = evaluate_kpis(batch)["npv_inr_cr"]
    assert npv[0] == npv[2] == pytest.approx(npv_of(a), rel=REL)
    single = tem.load(BASE, overrides=values_of(b, [path]))
    assert npv[1] == pytest.approx(npv_of(single), rel=REL)
    with pytest.raises(ValueError, match="one scenario's array"):
        stack_inputs(pair.a, [{path: np.zeros((2, 20))}, {}])


# --- bridges of the scenario files ------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["sequential", "shapley"])
@pytest.mark.parametrize("stem", SCENARIO_IDS)
def test_bridge_from_base_to_each_scenario_adds_up_to_the_runs(stem: str, method: str) -> None:
    b = bridge(base(), scenario(stem), method=method)  # type: ignore[arg-type]
    assert close(b.kpi_a, npv_of(base()), npv_of(base()))
    assert close(b.kpi_b, npv_of(scenario(stem)), npv_of(scenario(stem)))
    assert_adds_up(b)
    assert b.exact
    assert b.groups  # every scenario file changes something
    assert set(b.groups) <= set(DEFAULT_GROUPS)
    table = b.to_frame()
    assert list(table.index) == list(b.groups)
    assert table["kpi_after"].iloc[-1] == pytest.approx(b.kpi_b, rel=REL)


@pytest.mark.parametrize("kpi", ["incremental_npv_vs_import_inr_cr", "levelized_pack_cost_inr_per_kwh", "dva_share_fy33"])
def test_bridge_of_other_kpis_adds_up(kpi: str) -> None:
    for method in ("sequential", "shapley"):
        b = bridge(base(), scenario("fast_localization"), method=method, kpi=kpi)  # type: ignore[arg-type]
        assert close(b.kpi_b, float(tem.run(scenario("fast_localization")).outcome.kpis[kpi][0]), b.kpi_b)
        assert_adds_up(b)


def test_bridge_accepts_paths() -> None:
    b = bridge(BASE, ROOT / "assumptions/scenarios/fast_localization.yaml", method="shapley")
    assert (b.a_name, b.b_name) == ("base", "fast_localization")
    assert b.groups == ("transition", "capex")
    assert b.paths["transition"] == ("transition.local_cells_start_fy", "transition.ramp_years")


PERTURBATIONS: dict[str, Any] = {
    "timeline.discount_rate": st.floats(0.08, 0.16),
    "demand.ess.volume_gwh": st.floats(1.0, 9.0),
    "cells.imported.freight_and_insurance_rate": st.floats(0.0, 0.06),
    "cells.local.royalty_usd_per_kwh": st.floats(0.0, 3.0),
    "pack.pack_yield": st.floats(0.95, 1.0),
    "transition.ramp_years": st.integers(1, 6),
    "capex.phases.cell_plant_1.capex_inr_cr": st.floats(2000.0, 3500.0),
    "opex.sga_revenue_share": st.floats(0.01, 0.04),
    "working_capital.inventory_days": st.floats(30.0, 90.0),
    "tax.corporate_rate": st.floats(0.2, 0.35),
    "recycling.credit_usd_per_kwh": st.floats(0.0, 15.0),
}


@st.composite
def perturbed(draw: st.DrawFn) -> dict[str, Any]:
    paths = draw(st.lists(st.sampled_from(sorted(PERTURBATIONS)), min_size=1, max_size=5, unique=True))
    return {p: draw(PERTURBATIONS[p]) for p in paths}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(overrides=perturbed())
def test_bridge_parts_add_up_for_random_perturbations(overrides: dict[str, Any]) -> None:
    b_set = tem.load(BASE, overrides=overrides)
    # the drawn value may equal the base's: then its group does not change
    expected_groups = {default_group(p) for p, v in overrides.items() if values_of(base(), [p])[p] != v}
    for method in ("sequential", "shapley"):
        b = bridge(base(), b_set, method=method)  # type: ignore[arg-type]
        assert set(b.groups) == expected_groups
        assert close(b.kpi_b, npv_of(b_set), npv_of(b_set))
        assert_adds_up(b)
        if len(b.groups) == 1:  # one group: both methods give it the whole difference
            assert close(b.contributions[0], b.difference, b.kpi_b)


# --- order: sequential depends on it (as stated), Shapley does not ----------------------------------------------

PRICE_WAR_GROUPS = ["demand", "cells.imported", "transition"]
PRICE_WAR = Path(__file__).parents[2] / "data" / "price_war_mix.yaml"  # changes exactly those three groups


def price_war() -> tem.Assumptions:
    return tem.load(PRICE_WAR)


def test_sequential_first_step_is_the_one_group_effect_at_a_and_last_step_at_b() -> None:
    a, b_set = base(), price_war()
    forward = bridge(a, b_set, order=PRICE_WAR_GROUPS)
    backward = bridge(a, b_set, order=PRICE_WAR_GROUPS[::-1])
    assert forward.groups == tuple(PRICE_WAR_GROUPS)
    assert backward.groups == tuple(PRICE_WAR_GROUPS[::-1])
    demand_paths = list(forward.paths["demand"])
    # first step: demand switched alone, all else at A (an independent run)
    a_with_demand = tem.load(BASE, overrides=values_of(b_set, demand_paths))
    assert close(forward.contributions[0], npv_of(a_with_demand) - npv_of(a), npv_of(a))
    # last step of the reverse order: demand switched last, all else at B
    b_without_demand = tem.load(PRICE_WAR, overrides=values_of(a, demand_paths))
    assert close(backward.contributions[-1], npv_of(b_set) - npv_of(b_without_demand), npv_of(b_set))
    # demand and the imported cell price interact, so the two orders value demand differently
    assert abs(forward.contributions[0] - backward.contributions[-1]) > 10.0
    # unnamed changed groups follow in the default order; unchanged ones named are skipped
    partial = bridge(a, b_set, order=["transition", "tax"])
    assert partial.groups == ("transition", "demand", "cells.imported")


def test_shapley_does_not_depend_on_order_or_group_listing() -> None:
    a, b_set = base(), price_war()
    one = bridge(a, b_set, method="shapley", order=PRICE_WAR_GROUPS)
    two = bridge(a, b_set, method="shapley", order=PRICE_WAR_GROUPS[::-1])
    reordered = {g: DEFAULT_GROUPS[g] for g in reversed(list(DEFAULT_GROUPS))}
    three = bridge(a, b_set, method="shapley", groups=reordered)
    d1, d2, d3 = (dict(zip(x.groups, x.contributions, strict=True)) for x in (one, two, three))
    for g in PRICE_WAR_GROUPS:
        assert close(d1[g], d2[g], 1e4)
        assert close(d1[g], d3[g], 1e4)
    # Shapley for two groups by hand from four independent runs
    ab = tem.load(BASE, overrides=values_of(b_set, list(one.paths["demand"])))
    ba = tem.load(PRICE_WAR, overrides=values_of(a, list(one.paths["demand"])))
    two_groups = bridge(a, b_set, method="shapley", groups={"demand": ["demand"], "rest": ["cells", "transition"]})
    expected = 0.5 * ((npv_of(ab) - npv_of(a)) + (npv_of(b_set) - npv_of(ba)))
    assert close(dict(zip(two_groups.groups, two_groups.contributions, strict=True))["demand"], expected, 1e4)


def test_sampled_shapley_above_ten_groups_adds_up_and_estimates_the_exact_values() -> None:
    overrides = {
        "timeline.discount_rate": 0.11,
        "timeline.inflation_rate": 0.05,
        "demand.ess.volume_gwh": 8.0,
        "demand.captive.start_fy": 2027,
        "cells.imported.freight_and_insurance_rate": 0.04,
        "cells.local.royalty_usd_per_kwh": 2.0,
        "pack.pack_yield": 0.97,
        "transition.ramp_years": 3,
        "capex.phases.cell_plant_1.capex_inr_cr": 3000.0,
        "opex.sga_revenue_share": 0.03,
        "working_capital.inventory_days": 75,
    }
    b_set = tem.load(BASE, overrides=overrides)
    groups = {p.replace(".", "_"): [p] for p in overrides}  # 11 groups, one path each
    sampled = bridge(base(), b_set, groups=groups, method="shapley", n_permutations=300, seed=7)
    assert not sampled.exact
    assert len(sampled.groups) == 11
    assert sampled.n_permutations == 300
    assert sampled.standard_errors is not None
    assert_adds_up(sampled)
    again = bridge(base(), b_set, groups=groups, method="shapley", n_permutations=300, seed=7)
    assert again.contributions == sampled.contributions  # seeded: reproducible
    exact = bridge(base(), b_set, groups=groups, method="shapley", exact_max_groups=11)
    assert exact.exact
    assert_adds_up(exact)
    for s, e, se in zip(sampled.contributions, exact.contributions, sampled.standard_errors, strict=True):
        assert abs(s - e) <= 5 * se + 1e-6 * abs(exact.kpi_a)
    assert sampled.to_dict()["steps"][0]["standard_error"] == sampled.standard_errors[0]


# --- structure: phases added or removed, list lengths, mismatches ---------------------------------------------


def test_removed_phases_are_zero_size_phases_with_the_same_kpis_as_the_file() -> None:
    import_only = scenario("pack_plant_only")  # removes the cell phases (import_only.yaml keeps them, never built)
    pair = align_inputs(base(), import_only)
    assert any("cell_plant_1 is absent in 'pack_plant_only'" in n for n in pair.notes)
    assert [ph.name for ph in pair.b.structure.phases] == [ph.name for ph in pair.a.structure.phases]
    assert float(pair.b.arrays["capex.phases.cell_plant_1.capex_inr_cr"][0, 0]) == 0.0
    aligned = evaluate_kpis(pair.b)
    own = tem.run(import_only).outcome.kpis
    for key, value in own.items():
        np.testing.assert_allclose(aligned[key], value, rtol=REL, atol=1e-9, err_msg=key)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(f"extends: {BASE.as_posix()}\nname: {path.stem}\n" + text)
    return path


def test_added_phase_and_lists_of_other_lengths_bridge_both_ways(tmp_path: Path) -> None:
    other = tem.load(
        _write(
            tmp_path,
            "bigger.yaml",
            """
capex:
  phases:
    - {name: pack_line_2, spend_profile: [0.2, 0.3, 0.5], utilization_ramp: [0.4, 0.6, 0.8, 0.9, 1.0]}
    - name: pack_line_4
      kind: pack_line
      capex_inr_cr: 300.0
      spend_profile: [0.5, 0.5]
      commissioning_fy: 2036
      capacity_gwh: 4.0
      book_life_years: 10
      tax_depreciation_rate: 0.15
      fixed_opex_inr_cr: 10.0
cells:
  local:
    yield_ramp: [0.8, 0.95]
""",
        )
    )
    for a_set, b_set in ((base(), other), (other, base())):
        for method in ("sequential", "shapley"):
            b = bridge(a_set, b_set, method=method)  # type: ignore[arg-type]
            assert close(b.kpi_a, npv_of(a_set), npv_of(a_set))
            assert close(b.kpi_b, npv_of(b_set), npv_of(b_set))
            assert_adds_up(b)
            assert set(b.groups) == {"capex", "cells.local"}
    pair = align_inputs(base(), other)
    assert pair.a.arrays["capex.phases.pack_line_2.spend_profile"].tolist() == [[0.0, 0.5, 0.5]]
    assert pair.b.arrays["cells.local.yield_ramp"].tolist() == [[0.8, 0.95, 0.95, 0.95]]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"transition.overflow_policy": "unmet"}, "transition.overflow_policy: 'import_packs' vs 'unmet'"),
        ({"valuation.mirr_finance_rate": 0.1}, "valuation.mirr_finance_rate: null"),
        ({"counterfactual.drop_phase_kinds": ["cell_plant"]}, "counterfactual.drop_phase_kinds"),
        ({"timeline.horizon_years": 25}, "timeline: FY26 \\+ 20 years vs FY26 \\+ 25 years"),
        ({"funding.term_debt.repayment": "annuity"}, "funding.term_debt.repayment: 'equal_principal' vs 'annuity'"),
        ({"funding.term_debt.structure": "facility"}, "funding.term_debt.structure: 'by_phase' vs 'facility'"),
    ],
)
def test_structure_mismatch_names_what_differs(overrides: dict[str, Any], message: str) -> None:
    other = tem.load(BASE, overrides=overrides)
    with pytest.raises(StructureMismatchError, match=message) as info:
        bridge(base(), other)
    assert "cannot bridge 'base' and 'base'" in str(info.value)


def test_phase_kind_change_and_segment_form_are_mismatches(tmp_path: Path) -> None:
    other = tem.load(
        _write(
            tmp_path,
            "forms.yaml",
            """
demand:
  captive: {volume_gwh: null, units: 1000, kwh_per_unit: 300, price_rule: path, price_usd_per_kwh: 80}
capex:
  phases:
    - {name: module_line, kind: other}
""",
        )
    )
    with pytest.raises(StructureMismatchError) as info:
        bridge(base(), other)
    text = str(info.value)
    assert "demand.captive: demand given as volume_gwh vs units x kwh_per_unit" in text
    assert "capex.phases.module_line.kind: 'module_line' vs 'other'" in text


# --- groups, KPIs and mixes that cannot be made -----------------------------------------------------------------


def test_custom_groups_longest_prefix_and_other() -> None:
    b_set = tem.load(
        BASE, overrides={"tax.corporate_rate": 0.3, "cells.imported.bcd_rate_ess": 0.1, "opex.sga_revenue_share": 0.03}
    )
    b = bridge(base(), b_set, groups={"duties": ["cells.imported.bcd_rate_ess"], "cells": ["cells"], "tax": ["tax"]})
    assert b.groups == ("duties", "tax", "other")
    assert b.paths["other"] == ("opex.sga_revenue_share",)
    assert_adds_up(b)
    with pytest.raises(BridgeError, match=r"prefix 'cells\.imprted' matches no input path; did you mean 'cells\.imported'"):
        bridge(base(), b_set, groups={"x": ["cells.imprted"]})
    with pytest.raises(BridgeError, match="reserved"):
        bridge(base(), b_set, groups={"other": ["tax"]})
    with pytest.raises(BridgeError, match="unknown groups"):
        bridge(base(), b_set, order=["taxes"])


def test_unknown_or_undefined_kpi_and_unknown_method() -> None:
    with pytest.raises(BridgeError, match="unknown KPI 'npv'; did you mean"):
        bridge(base(), scenario("fast_localization"), kpi="npv")
    with pytest.raises(BridgeError, match="payback_years is undefined"):
        bridge(base(), scenario("fast_localization"), kpi="payback_years")  # never pays back
    with pytest.raises(BridgeError, match="unknown bridge method"):
        bridge(base(), scenario("fast_localization"), method="average")  # type: ignore[arg-type]


def test_a_mix_that_spends_before_the_first_year_is_refused() -> None:
    b_set = tem.load(
        BASE,
        overrides={
            "capex.phases.pack_line_1.commissioning_fy": 2029,
            "capex.phases.pack_line_1.spend_profile": [0.1, 0.2, 0.3, 0.4],
        },
    )
    assert_adds_up(bridge(base(), b_set))  # one group: fine
    split = {"when": ["capex.phases.pack_line_1.commissioning_fy"], "how": ["capex.phases.pack_line_1.spend_profile"]}
    assert_adds_up(bridge(base(), b_set, groups=split))  # switching "when" first never makes the bad mix
    with pytest.raises(BridgeError, match="spends capex of phase pack_line_1 before FY26"):
        bridge(base(), b_set, groups=split, method="shapley")  # A's FY28 with B's four-year profile


def test_identical_scenarios_give_an_empty_bridge() -> None:
    b = bridge(base(), base(), method="shapley")
    assert b.groups == ()
    assert b.difference == 0.0
    assert b.kpi_a == pytest.approx(npv_of(base()), rel=REL)


# --- comparison -------------------------------------------------------------------------------------------------


def test_compare_base_with_every_scenario() -> None:
    c = compare([BASE, *SCENARIOS])
    assert c.names == ("base", *SCENARIO_IDS)
    results = [tem.run(a) for a in c.assumptions]
    for name, r in zip(c.names, results, strict=True):
        assert c.kpis.loc["npv_inr_cr", name] == pytest.approx(r.kpis["npv_inr_cr"], rel=REL)
        assert c.kpis.loc["dva_share_fy33", name] == pytest.approx(r.kpis["dva_share_by_fy"]["FY33"], rel=REL)
    for name in c.names[1:]:
        delta = c.kpis[f"{name} - base"]
        np.testing.assert_allclose(delta, c.kpis[name] - c.kpis["base"], equal_nan=True)
    assert c.kpis.loc["npv_inr_cr", "unit"] == "INR crore"
    assert c.kpis.loc["irr", "unit"] == "fraction"
    first = results[0].statement
    for name, r in zip(c.names[1:], results[1:], strict=True):
        for line in ("revenue_total", "ebitda", "capex_total", "free_cash_flow", "cumulative_free_cash_flow", "dva_share"):
            want = r.statement.loc[line, "FY26":"FY45"].astype(float) - first.loc[line, "FY26":"FY45"].astype(float)
            got = c.statement_deltas.loc[(name, line), "FY26":"FY45"].astype(float)
            np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=0, atol=1e-9)
    assert c.kpi_values("npv_inr_cr").index.tolist() == list(c.names)
    document = json.loads(json.dumps(c.to_dict(), allow_nan=False))
    assert document["kpis"]["npv_inr_cr"]["unit"] == "INR crore"
    assert set(document["statement_deltas"]) == set(SCENARIO_IDS)


def test_assumption_diff_lists_exactly_the_changed_paths() -> None:
    c = compare([BASE, ROOT / "assumptions/scenarios/fast_localization.yaml"])
    assert set(c.assumption_diff.index) == {
        "transition.local_cells_start_fy",
        "transition.ramp_years",
        "capex.phases.pilot_cell_line.commissioning_fy",
        "capex.phases.cell_plant_1.commissioning_fy",
        "capex.phases.cell_plant_2.commissioning_fy",
        "capex.phases.recycling_line.commissioning_fy",
        "capex.phases.cell_plant_1.gate",  # fast_localization commits the plant without the base's FY28 gate
    }
    assert c.assumption_diff.loc["capex.phases.cell_plant_1.gate", "fast_localization"] == "null"
    assert c.assumption_diff.loc["capex.phases.cell_plant_1.gate", "base"].startswith("{decide_fy: 2028, when: [{line:")
    assert c.assumption_diff.loc["transition.local_cells_start_fy", "base"] == "2029"
    assert c.assumption_diff.loc["transition.local_cells_start_fy", "fast_localization"] == "2028"
    assert c.assumption_diff.loc["capex.phases.cell_plant_1.commissioning_fy", "group"] == "capex"
    # the diff names the same paths a bridge switches (a gate as a whole: the bridge switches it off, gate.enabled)
    switched = {p.removesuffix(".enabled") for ps in bridge(BASE, c.assumptions[1]).paths.values() for p in ps}
    assert set(c.assumption_diff.index) == switched


def test_assumption_diff_shows_raw_yearly_forms_absent_phases_and_ignores_equivalent_forms() -> None:
    c = compare(
        [BASE, ROOT / "assumptions/scenarios/pack_plant_only.yaml", ROOT / "assumptions/scenarios/cell_price_war.yaml"]
    )
    diff = c.assumption_diff
    assert diff.loc["capex.phases.cell_plant_1.capex_inr_cr", "pack_plant_only"] == "absent"
    assert diff.loc["capex.phases.cell_plant_1.capex_inr_cr", "base"] == "3250"
    assert diff.loc["transition.local_cells_start_fy", "pack_plant_only"] == "null"
    assert diff.loc["cells.imported.fob_price_usd_per_kwh", "cell_price_war"] == (
        "{FY26: 42.0, FY30: 34.0, FY36: 32.0, interpolation: linear}"
    )
    assert (
        diff.loc["cells.imported.fob_price_usd_per_kwh", "pack_plant_only"]
        == diff.loc["cells.imported.fob_price_usd_per_kwh", "base"]
    )
    assert c.assumption_values["capex.phases.cell_plant_1.capex_inr_cr"]["pack_plant_only"] == "absent"
    assert c.assumption_values["cells.imported.fob_price_usd_per_kwh"]["cell_price_war"]["FY26"] == 42.0
    same = tem.load(BASE, overrides={"cells.imported.bcd_rate_ess": [0.2] * 20, "tax.corporate_rate": 0.3})
    assert list(compare([base(), same]).assumption_diff.index) == ["tax.corporate_rate"]  # [0.2] * 20 == 0.2


def test_compare_needs_two_and_names_repeats() -> None:
    from tem.analysis.scenarios.compare import ComparisonError

    with pytest.raises(ComparisonError, match="at least two"):
        compare([BASE])
    c = compare([BASE, BASE])
    assert c.names == ("base", "base (2)")
    assert c.assumption_diff.empty
    assert (c.kpis["base (2) - base"].dropna() == 0).all()


# --- exports ----------------------------------------------------------------------------------------------------


@functools.cache
def two_way() -> tuple[Any, list[Bridge]]:
    c = compare([BASE, ROOT / "assumptions/scenarios/cell_price_war.yaml"])
    return c, [bridge(c.assumptions[0], c.assumptions[1], method=m) for m in ("sequential", "shapley")]


def test_waterfall_and_bars() -> None:
    c, bridges = two_way()
    fig = bridge_waterfall(bridges[1])
    trace = fig.data[0]
    assert trace.type == "waterfall"
    # the linked price war changes the imported cell price only: one step
    assert list(trace.measure) == ["absolute", *["relative"] * len(bridges[1].groups), "total"]
    assert bridges[1].groups == ("cells.imported",)
    assert list(trace.y[1:-1]) == list(bridges[1].contributions)
    assert trace.y[0] == bridges[1].kpi_a
    assert "Shapley (exact)" in fig.layout.title.text
    bars = kpi_bars(c, "npv_inr_cr")
    assert list(bars.data[0].y) == pytest.approx(list(c.kpi_values("npv_inr_cr")))


def test_workbook_has_the_four_sheets_and_a_bar_chart() -> None:
    c, bridges = two_way()
    wb = openpyxl.load_workbook(io.BytesIO(render_comparison_workbook(c, bridges)))
    # issue 14 item 1: a one-page table of the scenarios comes first
    assert wb.sheetnames == ["Summary", "KPIs", "Statement deltas", "Assumption diff", "Bridge"]
    summary = wb["Summary"]
    assert summary["A5"].value == "base"
    assert summary["A6"].value == "cell_price_war"
    for r, result in ((5, c.results[0]), (6, c.results[1])):
        k = result.kpis
        assert summary.cell(r, 3).value == pytest.approx(k["npv_inr_cr"], rel=1e-12)
        assert summary.cell(r, 4).value == pytest.approx(k["irr"], rel=1e-12)
        assert summary.cell(r, 5).value == pytest.approx(k["incremental_npv_vs_import_inr_cr"], rel=1e-12)
        assert summary.cell(r, 6).value == pytest.approx(k["peak_funding_inr_cr"], rel=1e-12)
        words = "creates value" if k["npv_inr_cr"] >= 0 else "destroys value"
        assert summary.cell(r, 2).value.startswith(words)
    kpis = wb["KPIs"]
    header = [cell.value for cell in kpis[4]]
    assert header[:6] == ["KPI", "key", "unit", "base", "cell_price_war", "cell_price_war - base"]
    assert kpis["B5"].value == "npv_inr_cr"
    assert kpis["F5"].value == pytest.approx(c.kpis.loc["npv_inr_cr", "cell_price_war - base"])
    sheet = wb["Bridge"]
    rows = {row[0]: row[1:3] for row in sheet.iter_rows(min_row=1, max_col=3, values_only=True) if row[0]}
    assert rows["Imported cells"] == pytest.approx([bridges[0].contributions[0], bridges[1].contributions[0]])
    assert rows["sum of groups"][0] == pytest.approx(rows["B - A"][0], rel=REL)
    assert len(sheet._charts) == 1
    assert len(sheet._charts[0].series) == 2
    diff = wb["Assumption diff"]
    assert diff["A5"].value == "Cell price FOB China"  # the input's label, its path beside it (review D7)
    assert diff["B5"].value == "cells.imported.fob_price_usd_per_kwh"


PTS = '+0.0" pts";-0.0" pts";0.0" pts"'


def test_a_rate_bridge_and_dva_deltas_are_in_points_in_the_workbook() -> None:
    """A difference of two rates (a bridge of IRR: each group's contribution, its standard error, the sum, B - A;
    the DVA share's statement deltas) is in percentage points, the value x 100 with a "pts" format, as the
    console prints it; A and B stay rates (in %). Review 17 item 7 / note 5: the Bridge sheet showed them in %."""
    import dataclasses

    c, _ = two_way()
    b = bridge(c.assumptions[0], c.assumptions[1], kpi="irr", method="shapley")
    sampled = dataclasses.replace(b, method="sequential", standard_errors=tuple(0.0012 for _ in b.groups))
    wb = openpyxl.load_workbook(io.BytesIO(render_comparison_workbook(c, [b, sampled])))
    ws = wb["Bridge"]
    cells = {row[0].value: row[1:4] for row in ws.iter_rows(min_row=4, max_col=4) if row[0].value}
    a_cell, b_cell = cells["base (A)"][0], cells["cell_price_war (B)"][0]
    assert (a_cell.value, a_cell.number_format) == (pytest.approx(b.kpi_a, rel=1e-12), "0.0%")
    assert (b_cell.value, b_cell.number_format) == (pytest.approx(b.kpi_b, rel=1e-12), "0.0%")
    contribution = cells["Imported cells"][0]
    assert contribution.value == pytest.approx(100 * b.contributions[0], rel=1e-12)  # x 100: points
    assert contribution.number_format == PTS
    se = cells["Imported cells"][2]
    assert se.value == pytest.approx(0.12)
    assert se.number_format == '0.0" pts";-0.0" pts";0.0" pts"'  # a size: no sign
    for label in ("sum of groups", "B - A"):
        assert cells[label][0].value == pytest.approx(100 * (b.kpi_b - b.kpi_a), rel=1e-9)
        assert cells[label][0].number_format == PTS
    assert ws._charts[0].y_axis.title.tx.rich.p[0].r[0].t == "percentage points"
    deltas = wb["Statement deltas"]
    rows = [r for r in deltas.iter_rows(min_row=1) if r[0].value == "Domestic value addition (DVA)"]
    assert len(rows) == 2  # the values of the first scenario, then the deltas of the second
    assert rows[0][1].value in (None, "")  # a fraction shows as % by its format: no unit word (never "fraction")
    assert rows[0][2].number_format == "0.0%"
    first = c.main_lines.loc[("base", "dva_share")]
    second = c.main_lines.loc[("cell_price_war", "dva_share")]
    fys = [col for col in first.index if col not in ("label", "unit")]
    for j, fy in enumerate(fys):
        delta = float(second[fy]) - float(first[fy])
        cell = rows[1][2 + j]
        assert cell.number_format == PTS
        shown = 0.0 if abs(100 * delta) < 0.05 else 100 * delta  # what rounds to 0.0 pts is 0, never -0.0
        assert cell.value == pytest.approx(shown, abs=1e-9), fy
    assert rows[1][1].value in ("", None)  # the format shows the unit
    # the charts say the same: the waterfall's steps and the bars' differences in points, the levels in %
    pts = f"{100 * b.contributions[0]:+.1f} pts"
    assert list(bridge_waterfall(b).data[0].text) == [f"{b.kpi_a:.1%}", pts, f"{b.kpi_b:.1%}"]
    difference = f"{100 * (b.kpi_b - b.kpi_a):+.1f} pts"
    assert list(kpi_bars(c, "irr").data[0].text) == [f"{b.kpi_a:.1%}", f"{b.kpi_b:.1%} ({difference})"]


def test_files_and_manifest() -> None:
    c, bridges = two_way()
    files = render_comparison_files(c, bridges, "npv_inr_cr", png=False)
    assert comparison_folder(c) == "compare_base_vs_cell_price_war"
    assert {
        "comparison.xlsx",
        "kpis.csv",
        "statement_deltas.csv",
        "assumption_diff.csv",
        "bridges.csv",
        "comparison.json",
        "charts/plotly.min.js",
        "charts/kpi_npv_inr_cr.html",
        "charts/bridge_cell_price_war_sequential.html",
        "charts/bridge_cell_price_war_shapley.html",
        "manifest.json",
    } == set(files)
    manifest = json.loads(files["manifest.json"])
    assert manifest["tem_version"] == tem.__version__
    for name, digest in manifest["outputs"].items():
        content = files[name]
        data = content.encode() if isinstance(content, str) else content
        assert hashlib.sha256(data).hexdigest() == digest
    assert manifest["scenarios"][1]["assumption_files"][1]["path"].endswith("cell_price_war.yaml")
    html = files["charts/kpi_npv_inr_cr.html"]
    assert isinstance(html, bytes)
    assert b'src="plotly.min.js"' in html
    assert b"cdn.plot.ly" not in html


def test_png_charts_when_a_browser_is_installed() -> None:
    if not png_available()[0]:
        pytest.skip(png_available()[1])
    c, bridges = two_way()
    files = render_comparison_files(c, bridges[:1], "npv_inr_cr", png=True)
    png = files["charts/bridge_cell_price_war_sequential.png"]
    assert isinstance(png, bytes)
    assert png.startswith(b"\x89PNG")


# --- command line -----------------------------------------------------------------------------------------------

runner = CliRunner()


def cli(*args: str) -> Any:
    return runner.invoke(tem.cli.app, ["compare", *args])


def test_cli_missing_file_exits_2_without_traceback_and_writes_nothing(tmp_path: Path) -> None:
    result = cli(str(BASE), str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "out"), "--no-png")
    assert result.exit_code == 2
    assert "nope.yaml" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--kpi", "npvv"], "unknown KPI 'npvv'"),
        (["--set", "tax.corporate_rate=2"], "tax.corporate_rate"),
    ],
)
def test_cli_user_errors_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    result = cli(str(BASE), str(SCENARIOS[0]), "--out", str(tmp_path), "--no-png", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert not any(tmp_path.iterdir())


def test_cli_needs_two_files_and_a_known_method(tmp_path: Path) -> None:
    assert cli(str(BASE), "--out", str(tmp_path)).exit_code == 2
    assert cli(str(BASE), str(SCENARIOS[0]), "--method", "average", "--out", str(tmp_path)).exit_code == 2


def test_cli_writes_outputs_and_prints_tables(tmp_path: Path) -> None:
    fast = ROOT / "assumptions/scenarios/fast_localization.yaml"
    result = cli(str(BASE), str(fast), "--out", str(tmp_path), "--no-png")
    assert result.exit_code == 0, result.stderr
    folder = tmp_path / "compare_base_vs_fast_localization"
    names = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}
    assert {"comparison.xlsx", "manifest.json", "comparison.json", "charts/bridge_fast_localization_shapley.html"} <= names
    assert "Bridge of NPV" in result.stdout
    assert catalogue.group_label("transition") in result.stdout  # the group in words (review 17 item 7)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert set(manifest["outputs"]) == names - {"manifest.json"}


def test_cli_json_parses_and_holds_the_bridges(tmp_path: Path) -> None:
    war = ROOT / "assumptions/scenarios/cell_price_war.yaml"
    result = cli(str(BASE), str(war), "--json", "--method", "shapley", "--out", str(tmp_path), "--no-png")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert [b["method"] for b in doc["bridges"]] == ["shapley"]
    steps = doc["bridges"][0]["steps"]
    assert math.isclose(sum(s["contribution"] for s in steps), doc["bridges"][0]["difference"], rel_tol=REL)
    assert doc["comparison"]["kpis"]["npv_inr_cr"]["cell_price_war - base"] == pytest.approx(
        doc["bridges"][0]["difference"], rel=REL
    )
    assert doc["outputs"].endswith("compare_base_vs_cell_price_war")


def test_cli_many_scenarios_and_a_bridge_that_cannot_be_made(tmp_path: Path) -> None:
    unmet = _write(tmp_path, "unmet.yaml", "transition: {overflow_policy: unmet}\n")
    result = cli(str(BASE), str(unmet), str(SCENARIOS[0]), "--out", str(tmp_path / "out"), "--no-png", "--quiet")
    assert result.exit_code == 0, result.stderr
    assert "no bridge to unmet" in result.stderr
    assert result.stdout.strip() == f"outputs written to {tmp_path / 'out' / 'compare'}/"
    doc = json.loads((tmp_path / "out" / "compare" / "comparison.json").read_text())
    assert [s["b"] for s in doc["skipped_bridges"]] == ["unmet"]
    assert {b["b"] for b in doc["bridges"]} == {SCENARIOS[0].stem}


def test_bridge_switches_allocation_policies_like_inputs() -> None:
    """Allocation policies are structure, but a bridge switches them as a group member: every combination runs
    on A's or B's policy, so the steps add up to the two files' own runs (checked against single runs of the
    mixed assumption sets)."""
    over = {
        "transition.local_cell_allocation": "max_margin",
        "transition.pack_allocation": "pro_rata",
        "cells.imported.fob_price_usd_per_kwh": 60.0,
    }
    b_set = tem.load(BASE, overrides=over)
    b = bridge(base(), b_set, method="shapley")
    assert set(b.paths["transition"]) == {"transition.local_cell_allocation", "transition.pack_allocation"}
    assert close(b.kpi_b, npv_of(b_set), npv_of(b_set))
    assert_adds_up(b)
    seq = bridge(base(), b_set, method="sequential", order=["transition", "cells.imported"])
    only_policy = tem.load(BASE, overrides={k: v for k, v in over.items() if k.startswith("transition")})
    assert close(seq.kpi_a + seq.contributions[0], npv_of(only_policy), npv_of(only_policy))
    assert_adds_up(seq)
