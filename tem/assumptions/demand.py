"""Demand by segment: each segment's volume, product (what its buyer would otherwise import) and price rule
(part of the assumption set, :mod:`tem.assumptions.schema`). Units live in the field names.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from tem.assumptions.fields import StrictModel, YearlyNonNeg, YearlyRate, YearlyShare, fiscal_year, yearly
from tem.assumptions.yearly import yearly_numbers

PriceRule = Literal["path", "import_parity", "cost_plus"]
SegmentName = Literal["captive", "external_oem", "ess"]
SEGMENTS = ("captive", "external_oem", "ess")


class SegmentProduct(StrictModel):
    """What a segment buys and what its buyer would otherwise import; every field left out takes the reference
    input named in its description, so a segment states only where its product differs."""

    cell_fob_usd_per_kwh: YearlyNonNeg | None = yearly(
        "FOB of the imported cell this segment's packs hold. [USD/kWh]; default: cell_fob_factor x the reference "
        "cells.imported FOB",
        default=None,
    )
    cell_fob_factor: float | None = Field(
        None, gt=0.0, le=5.0, description="This segment's cell FOB / the reference cell FOB (ESS-grade ~0.88). [ratio]"
    )
    cell_bcd_rate: YearlyShare | None = yearly(
        "Basic customs duty on the cells for this end use. [fraction]; default: cells.imported.bcd_rate_vehicle "
        "(bcd_rate_ess for ess)",
        "share",
        default=None,
    )
    pack_bcd_rate: YearlyShare | None = yearly(
        "Basic customs duty on a finished pack for this end use. [fraction]; default: transition.bought_in_pack_bcd_rate",
        "share",
        default=None,
    )
    non_cell_bom_usd_per_kwh: YearlyNonNeg | None = yearly(
        "Non-cell BOM of this segment's pack at world prices. [USD/kWh]; default: pack.non_cell_bom_usd_per_kwh",
        default=None,
    )
    pack_fob_usd_per_kwh: YearlyNonNeg | None = yearly(
        "FOB of the finished pack a buyer would import. [USD/kWh]; default: transition.bought_in_pack_fob_usd_per_kwh",
        default=None,
    )
    pack_premium_usd_per_kwh: YearlyNonNeg | None = yearly(
        "Linked pack price: imported pack FOB = this segment's cell FOB + this premium. [USD/kWh]", default=None
    )

    @model_validator(mode="after")
    def _one_form_each(self) -> SegmentProduct:
        if self.cell_fob_usd_per_kwh is not None and self.cell_fob_factor is not None:
            raise ValueError("give at most one of cell_fob_usd_per_kwh and cell_fob_factor")
        if self.pack_fob_usd_per_kwh is not None and self.pack_premium_usd_per_kwh is not None:
            raise ValueError("give at most one of pack_fob_usd_per_kwh and pack_premium_usd_per_kwh (linked)")
        return self


class Segment(StrictModel):
    start_fy: int = fiscal_year("First fiscal year with sales to this segment.")
    volume_gwh: YearlyNonNeg | None = yearly("Demand. [GWh/yr]; or give units and kwh_per_unit", default=None)
    units: YearlyNonNeg | None = yearly("Vehicles or systems per year. [units/yr]", default=None)
    kwh_per_unit: YearlyNonNeg | None = yearly("Battery energy per unit. [kWh/unit]", default=None)
    product: SegmentProduct = Field(default_factory=SegmentProduct, description="The segment's product and imports.")
    price_rule: PriceRule = Field(
        "path",
        description="How the selling price is set: path (explicit price path), import_parity (landed imported "
        "pack x (1 + price_premium)) or cost_plus (own cost per kWh x (1 + markup)).",
    )
    price_usd_per_kwh: YearlyNonNeg | None = yearly("Pack selling price (price_rule path). [USD/kWh]", default=None)
    price_inr_per_kwh: YearlyNonNeg | None = yearly("Pack selling price (price_rule path). [INR/kWh]", default=None)
    price_premium: YearlyRate = yearly(
        "import_parity: premium over the landed imported pack, above -1 and at most 1. [fraction]", "rate", default=0.0
    )
    markup: YearlyShare = yearly("cost_plus: markup on own cost, at most 1 (100%). [fraction]", "share", default=0.0)
    cost_basis: Literal["variable", "full"] = Field(
        "variable",
        description="cost_plus: variable (cells, non-cell parts, assembly, bought-in packs) or full (plus fixed "
        "opex and book depreciation of the phases that serve the segment).",
    )

    @model_validator(mode="after")
    def _one_volume_and_one_price(self) -> Segment:
        by_gwh = self.volume_gwh is not None
        by_units = self.units is not None or self.kwh_per_unit is not None
        if by_gwh == by_units:
            raise ValueError("give either volume_gwh, or units and kwh_per_unit (exactly one of the two forms)")
        if by_units and (self.units is None or self.kwh_per_unit is None):
            raise ValueError("units and kwh_per_unit go together: give both")
        has_path = (self.price_usd_per_kwh, self.price_inr_per_kwh) != (None, None)
        if self.price_rule == "path" and (self.price_usd_per_kwh is None) == (self.price_inr_per_kwh is None):
            raise ValueError("price_rule path: give exactly one of price_usd_per_kwh and price_inr_per_kwh")
        if self.price_rule != "path" and has_path:
            raise ValueError(
                f"price_rule {self.price_rule} sets the price itself: remove price_usd_per_kwh / price_inr_per_kwh "
                "(or set them to null), or use price_rule: path"
            )
        if any(x <= -1.0 for x in yearly_numbers(self.price_premium)):
            raise ValueError("price_premium must stay above -1 (a -100% premium would give the pack away)")
        return self


class Demand(StrictModel):
    captive: Segment = Field(..., description="The company's own e-buses and e-trucks.")
    external_oem: Segment = Field(..., description="Packs sold to other vehicle makers.")
    ess: Segment = Field(..., description="Packs for stationary energy-storage systems.")
