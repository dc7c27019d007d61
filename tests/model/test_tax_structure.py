"""Tax structure (issue 12): business losses that expire and unabsorbed depreciation that does not, tracked apart;
tax within the parent (losses relieved in the year); half-rate tax depreciation in a first year of under 180 days.
Hand-worked cases, a plain-Python reference under hypothesis, and the engine wired to the inputs."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tem
from tem.model.capex import written_down_value
from tem.model.tax import TaxResult, compute_tax

ROOT = Path(__file__).parents[2]
_money = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False, allow_subnormal=False)


def _tax(before: list[float], dep: list[float], carry: int, rate: float = 0.25, within: bool = False) -> TaxResult:
    return compute_tax(np.array([before]), np.array([dep]), np.array([rate]), np.array([carry]), within)


def _reference(before: list[float], dep: list[float], carry: int, rate: float) -> dict[str, list[float]]:
    """Plain Python: business losses in a FIFO queue expiring after ``carry`` years; unabsorbed depreciation in
    one pool without limit; business losses set off first."""
    queue: list[list[float]] = []
    ud = 0.0
    out: dict[str, list[float]] = {k: [] for k in ("tax", "bl_used", "ud_used", "expired", "bl_pool", "ud_pool")}
    for t, (b, d) in enumerate(zip(before, dep, strict=True)):
        left = max(b - d, 0.0)
        bl_used = 0.0
        for item in queue:
            take = min(item[1], left)
            item[1] -= take
            left -= take
            bl_used += take
        ud_take = min(ud, left)
        left -= ud_take
        ud += d - min(max(b, 0.0), d) - ud_take
        if b < 0:
            queue.append([t, -b])
        out["expired"].append(math.fsum(a for v, a in queue if v <= t - carry))
        queue = [item for item in queue if item[0] > t - carry]
        out["tax"].append(rate * left)
        out["bl_used"].append(bl_used)
        out["ud_used"].append(ud_take)
        out["bl_pool"].append(math.fsum(a for _, a in queue))
        out["ud_pool"].append(ud)
    return out


class TestUnabsorbedDepreciation:
    def test_carried_without_limit(self) -> None:
        # year 0: profit before depreciation 50, depreciation 100: no business loss, 50 of unabsorbed depreciation.
        # Five years later a profit of 200 absorbs it although business losses last only 2 years: 25% x 150 = 37.5
        # (were it a business loss, it would have expired and the tax would be 50).
        r = _tax([50, 0, 0, 0, 0, 200], [100, 0, 0, 0, 0, 0], carry=2)
        np.testing.assert_allclose(r.unabsorbed_depreciation, [[50, 0, 0, 0, 0, 0]])
        np.testing.assert_allclose(r.business_loss, 0.0)
        np.testing.assert_allclose(r.unabsorbed_depreciation_pool_end, [[50, 50, 50, 50, 50, 0]])
        np.testing.assert_allclose(r.tax, [[0, 0, 0, 0, 0, 37.5]], rtol=1e-15)
        np.testing.assert_allclose(r.losses_expired, 0.0)

    def test_business_loss_is_set_off_before_unabsorbed_depreciation(self) -> None:
        # year 0: profit before depreciation -100, depreciation 50: business loss 100, unabsorbed depreciation 50.
        # Year 3 (the business loss's last year with N = 3) earns 120: the business loss goes first (100), then 20
        # of the depreciation; 30 of it is carried on, nothing expires and no tax is due. (Depreciation first would
        # leave 30 of business loss to expire at the end of year 3.)
        r = _tax([-100, 0, 0, 120], [50, 0, 0, 0], carry=3)
        np.testing.assert_allclose(r.business_losses_used, [[0, 0, 0, 100]])
        np.testing.assert_allclose(r.unabsorbed_depreciation_used, [[0, 0, 0, 20]])
        np.testing.assert_allclose(r.losses_used, [[0, 0, 0, 120]])
        np.testing.assert_allclose(r.unabsorbed_depreciation_pool_end, [[50, 50, 50, 30]])
        np.testing.assert_allclose(r.business_loss_pool_end, [[100, 100, 100, 0]])
        np.testing.assert_allclose(r.loss_pool_end, [[150, 150, 150, 30]])
        np.testing.assert_allclose(r.losses_expired, 0.0)
        np.testing.assert_allclose(r.tax, 0.0)

    def test_business_loss_still_expires(self) -> None:
        # the same year-0 loss with N = 2: the business loss expires at the end of year 2; year 3's 120 absorbs the
        # 50 of depreciation; 25% x 70 = 17.5
        r = _tax([-100, 0, 0, 120], [50, 0, 0, 0], carry=2)
        np.testing.assert_allclose(r.losses_expired, [[0, 0, 100, 0]])
        np.testing.assert_allclose(r.tax, [[0, 0, 0, 17.5]], rtol=1e-15)

    @settings(deadline=None, max_examples=150)
    @given(
        st.integers(1, 14).flatmap(
            lambda n: st.tuples(
                st.lists(_money, min_size=n, max_size=n), st.lists(st.floats(0, 5e3), min_size=n, max_size=n)
            )
        ),
        st.integers(0, 16),
        st.floats(0.0, 0.5),
    )
    def test_matches_reference(self, flows: tuple[list[float], list[float]], carry: int, rate: float) -> None:
        before, dep = flows
        r = _tax(before, dep, carry, rate)
        ref = _reference(before, dep, carry, rate)
        for got, key in (
            (r.tax, "tax"),
            (r.business_losses_used, "bl_used"),
            (r.unabsorbed_depreciation_used, "ud_used"),
            (r.losses_expired, "expired"),
            (r.business_loss_pool_end, "bl_pool"),
            (r.unabsorbed_depreciation_pool_end, "ud_pool"),
        ):
            np.testing.assert_allclose(got[0], ref[key], rtol=1e-12, atol=1e-8, err_msg=key)
        assert (r.tax >= 0).all()
        # every business loss is used, expired or still carried; every unabsorbed depreciation used or carried
        bl = r.business_loss.sum() - r.business_losses_used.sum() - r.losses_expired.sum()
        assert bl == pytest.approx(r.business_loss_pool_end[0, -1], abs=1e-6)
        ud = r.unabsorbed_depreciation.sum() - r.unabsorbed_depreciation_used.sum()
        assert ud == pytest.approx(r.unabsorbed_depreciation_pool_end[0, -1], abs=1e-6)
        # the two parts of a loss year's loss make up the loss
        loss = np.maximum(-(np.array(before) - np.array(dep)), 0.0)
        np.testing.assert_allclose((r.business_loss + r.unabsorbed_depreciation)[0], loss, atol=1e-9)


class TestWithinParent:
    def test_losses_relieved_in_the_year(self) -> None:
        # taxable -60, 20, 100 at 25%: -15 (the parent's saving), 5, 25; nothing carried
        r = _tax([-50, 40, 100], [10, 20, 0], carry=8, within=True)
        np.testing.assert_allclose(r.tax, [[-15.0, 5.0, 25.0]], rtol=1e-15)
        np.testing.assert_allclose(r.loss_pool_end, 0.0)
        np.testing.assert_allclose(r.losses_used, 0.0)

    @settings(deadline=None, max_examples=50)
    @given(st.lists(_money, min_size=1, max_size=15), st.floats(0.0, 0.5))
    def test_never_pays_more_than_standalone_in_total(self, before: list[float], rate: float) -> None:
        dep = [0.0] * len(before)
        within = _tax(before, dep, 8, rate, within=True).tax.sum()
        alone = _tax(before, dep, 8, rate).tax.sum()
        assert within <= alone + 1e-9
        assert within == pytest.approx(rate * sum(before), rel=1e-12, abs=1e-9)


class TestHalfRateFirstYear:
    def test_hand_case(self) -> None:
        # 100 put to use for under 180 days at 20%: 10 in year one, then 20% of 90 = 18, 20% of 72 = 14.4
        out = written_down_value(np.array([[100.0, 0.0, 0.0]]), np.array([0.2]), np.array([[100.0, 0.0, 0.0]]))
        np.testing.assert_allclose(out, [[10.0, 18.0, 14.4]], rtol=1e-15)

    @settings(deadline=None, max_examples=50)
    @given(st.lists(st.floats(0, 1e4), min_size=2, max_size=12), st.floats(0.05, 0.6))
    def test_only_shifts_depreciation_later(self, additions: list[float], rate: float) -> None:
        add = np.array([additions])
        full = written_down_value(add, np.array([rate]))
        half = written_down_value(add, np.array([rate]), add)
        assert (np.cumsum(half) <= np.cumsum(full) + 1e-9).all()
        assert half[0, 0] == pytest.approx(full[0, 0] / 2, rel=1e-12, abs=1e-12)


def test_engine_inputs() -> None:
    """The inputs reach the engine: within the parent the base case's early losses come back as negative tax and
    NPV rises by their present value; the half-rate flag lowers the commissioning year's tax depreciation."""
    base = tem.run(tem.load(ROOT / "assumptions" / "base.yaml"))
    parent = tem.run(tem.load(ROOT / "assumptions" / "base.yaml", overrides={"tax.structure": "within_parent"}))
    fys = base.fiscal_years
    taxable = parent.statement.loc["taxable_income_before_losses", fys].to_numpy(float)
    np.testing.assert_allclose(-parent.statement.loc["tax", fys].to_numpy(float), 0.25168 * taxable, rtol=1e-12)
    # NPV rises by the PV of the tax difference (the recalibrated base pays some tax standalone in its later years)
    base_tax = -base.statement.loc["tax", fys].to_numpy(float)
    pv_gain = float(np.sum((base_tax - 0.25168 * taxable) * (1.125 ** -(np.arange(20) + 1.0))))
    assert parent.kpis["npv_inr_cr"] - base.kpis["npv_inr_cr"] == pytest.approx(pv_gain, rel=1e-9)
    half = tem.run(
        tem.load(ROOT / "assumptions" / "base.yaml", overrides={"capex.phases.cell_plant_1.tax_half_rate_first_year": True})
    )
    dep_full = -base.statement.loc["tax_depreciation", "FY31"]
    dep_half = -half.statement.loc["tax_depreciation", "FY31"]
    nominal = 3250.0 * (0.3 * 1.02**3 + 0.4 * 1.02**4 + 0.3 * 1.02**5)  # spent FY29-FY31 at capex prices +2%/yr
    assert dep_full - dep_half == pytest.approx(0.15 / 2 * nominal, rel=1e-12)


def test_batch_mixing_structures_equals_single_runs() -> None:
    """The structure and the subsidy's tax treatment are numbers to the engine: one batch can mix them, and each
    scenario's KPIs are the bits of its single run."""
    a = tem.load(ROOT / "assumptions" / "base.yaml")
    flags = {
        "tax.within_parent": np.array([0.0, 1.0, 1.0, 0.0]),
        "incentives.state_capital_subsidy.reduces_block": np.array([1.0, 0.0, 1.0, 0.0]),
    }
    batch = tem.run_batch(a, flags)
    for i, (structure, treatment) in enumerate(
        [
            ("standalone", "reduces_block"),
            ("within_parent", "taxable"),
            ("within_parent", "reduces_block"),
            ("standalone", "taxable"),
        ]
    ):
        one = tem.run(
            tem.load(
                ROOT / "assumptions" / "base.yaml",
                overrides={"tax.structure": structure, "incentives.state_capital_subsidy.tax_treatment": treatment},
            )
        )
        assert batch["npv_inr_cr"].iloc[i] == one.kpis["npv_inr_cr"]
        assert batch["peak_funding_inr_cr"].iloc[i] == one.kpis["peak_funding_inr_cr"]
