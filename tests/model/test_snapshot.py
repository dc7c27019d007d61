"""Base-case statement snapshot: numbers change only on purpose.

To accept a deliberate change, regenerate with ``TEM_UPDATE_SNAPSHOT=1 python -m pytest tests/model/test_snapshot.py``
and explain the change in the commit message.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pandas as pd
import pytest

import tem

ROOT = Path(__file__).parents[2]
SNAPSHOTS = Path(__file__).parents[1] / "snapshots"
STATEMENT = SNAPSHOTS / "base_statement.csv"
KPIS = SNAPSHOTS / "base_kpis.json"


@pytest.fixture(scope="module")
def base() -> tem.Result:
    return tem.run(tem.load(ROOT / "assumptions" / "base.yaml"))


def test_base_statement_matches_snapshot(base: tem.Result) -> None:
    current = base.statement.drop(columns="label")
    if os.environ.get("TEM_UPDATE_SNAPSHOT"):
        SNAPSHOTS.mkdir(exist_ok=True)
        current.to_csv(STATEMENT, float_format="%.12g")
        KPIS.write_text(json.dumps(base.kpis, indent=2) + "\n")
    expected = pd.read_csv(STATEMENT, index_col="line_item")
    assert list(expected.index) == list(current.index), "statement lines changed"
    assert list(expected.columns) == list(current.columns)
    for key in expected.index:
        for fy in (c for c in expected.columns if c != "unit"):
            want, got = float(expected.loc[key, fy]), float(current.loc[key, fy])
            if math.isnan(want):
                assert math.isnan(got), (key, fy)
            else:
                assert got == pytest.approx(want, rel=1e-9, abs=1e-9), (key, fy)


def test_base_kpis_match_snapshot(base: tem.Result) -> None:
    expected = json.loads(KPIS.read_text())
    assert set(expected) == set(base.kpis)
    for key, want in expected.items():
        got = base.kpis[key]
        if isinstance(want, dict):
            assert got == pytest.approx(want, rel=1e-9)
        elif want is None:
            assert got is None, key
        else:
            assert got == pytest.approx(want, rel=1e-9, abs=1e-9), key


def test_base_case_is_plausible(base: tem.Result) -> None:
    """The sanity a finance director would apply (ranges from ../shared/research/domain_facts.md)."""
    k = base.kpis
    # levelized pack cost within published 2025 pack prices: stationary LFP 70 to global average 108 USD/kWh
    assert 70 <= k["levelized_pack_cost_usd_per_kwh"] <= 108
    # levelized cell cost near imported LFP cells landed in India (USD 50-60/kWh)
    assert 45 <= k["levelized_cell_cost_usd_per_kwh"] <= 65
    # the program invests more than Rs 5,000 crore, spent within FY26-FY35
    assert k["total_capex_inr_cr"] > 5000
    capex = base.statement.loc[[i for i in base.statement.index if i.startswith("capex_") and i != "capex_total"]]
    spend_years = [fy for fy in capex.columns[2:] if capex[fy].abs().sum() > 0]
    assert spend_years[0] == "FY26"
    assert spend_years[-1] <= "FY35"
    # DVA rises past the managing director's 30% yardstick once cells are local
    assert k["dva_share_by_fy"]["FY27"] < 0.3 < k["dva_share_by_fy"]["FY36"]
