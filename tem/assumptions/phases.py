"""Capex phases and their go/no-go gates (part of the assumption set, :mod:`tem.assumptions.schema`).

A phase is one investment (a pack line, the pilot cell line, a cell plant, ...): its capex in FY-base prices, the
spend profile ending in its commissioning FY, capacity and ramps, book and tax depreciation, fixed opex and, for a
cell plant, its own yield ramp. A gate (README, "Gates") decides at the end of ``decide_fy`` whether the phase is
built, on conditions known by then; ``require`` names phases it needs.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from tem.assumptions.fields import Identifier, StrictModel, YearlyRate, fiscal_year, nonneg, share, yearly

Share = Annotated[float, Field(ge=0.0, le=1.0)]
PhaseKind = Literal["pack_line", "module_line", "cell_plant", "recycling", "rnd_centre", "other"]
CAPACITY_KINDS = ("pack_line", "cell_plant", "recycling")


GATE_LINES = (
    "imported_cell_landed_inr_per_kwh",
    "imported_cell_fob_usd_per_kwh",
    "local_cell_variable_minus_imported_inr_per_kwh",
    "cell_yield",
    "dva_share",
    "local_cells_gwh",
    "ebitda_inr_cr",
    "cell_duty_minus_pack_duty_rate",
)
GateLine = Literal[
    "imported_cell_landed_inr_per_kwh",
    "imported_cell_fob_usd_per_kwh",
    "local_cell_variable_minus_imported_inr_per_kwh",
    "cell_yield",
    "dva_share",
    "local_cells_gwh",
    "ebitda_inr_cr",
    "cell_duty_minus_pack_duty_rate",
]


class GateCondition(StrictModel):
    """One test of a gate: a yearly line of the run (or an input) in year ``fy``, compared with ``threshold``."""

    line: GateLine | None = Field(None, description="A yearly line of the same run (README, Gates); or give input.")
    input: str | None = Field(None, min_length=1, description="A scalar or yearly input by dotted path; or give line.")
    fy: int | None = Field(None, ge=2000, le=2100, description="Year read; default decide_fy; at most decide_fy.")
    op: Literal[">=", "<=", ">", "<"] = Field(..., description="Passes when value <op> threshold.")
    threshold: float = Field(..., description="The value compared with; in the unit of the line or input.")

    @model_validator(mode="after")
    def _one_source(self) -> GateCondition:
        if (self.line is None) == (self.input is None):
            raise ValueError("give exactly one of line and input")
        return self


class Gate(StrictModel):
    """A go/no-go decision on a phase, taken at the end of ``decide_fy`` on what is known by then."""

    decide_fy: int = fiscal_year("The decision is taken at the end of this FY; spending must start after it.")
    when: list[GateCondition] = Field(..., min_length=1, description="Conditions tested at the decision.")
    combine: Literal["all", "any"] = Field("all", description="all: every condition must pass; any: one is enough.")


class CapexPhase(StrictModel):
    name: Identifier = Field(..., description="Unique id: letters, digits and _.")
    kind: PhaseKind
    capex_inr_cr: float = nonneg("Investment in prices of capex.price_base_fy (escalated to the year spent). [INR crore]")
    spend_profile: list[Share] = Field(
        ..., min_length=1, description="Fractions of capex per year, the last in the commissioning year; sum 1."
    )
    commissioning_fy: int = fiscal_year("First fiscal year of operation.")
    capacity_gwh: float = nonneg("Nameplate capacity added (pack line: packs; cell plant: cells started). [GWh/yr]", 0.0)
    utilization_ramp: list[Share] = Field(
        [1.0], min_length=1, description="Usable share of nameplate by year of operation; last holds."
    )
    book_life_years: int = Field(..., ge=1, le=60, description="Straight-line book life. [years]")
    residual_share: float = share("Book residual value, fraction of cost.", 0.05)
    tax_depreciation_rate: float = share("Written-down-value tax depreciation rate. [fraction/yr]")
    maintenance_capex_rate: float = share("Maintenance capex per year after commissioning, fraction of capex.", 0.0)
    fixed_opex_inr_cr: float = nonneg("Fixed cost per year from commissioning, first-FY prices. [INR crore/yr]", 0.0)
    import_share: float = share("Share of the capex paid abroad (imported tooling), for the forex view.", 0.0)
    yield_ramp: list[Share] | None = Field(
        None,
        min_length=1,
        description="Cell plants: good cells / cells started by year of this plant's learning (see yield_learning); "
        "the last value holds. Default: cells.local.yield_ramp.",
    )
    yield_learning: Literal["restart", "continue"] = Field(
        "restart",
        description="Cell plants: restart = the yield ramp counts from this plant's commissioning; continue = from the "
        "first commissioning among this and the cell plants listed before it (it starts where their learning left off).",
    )
    subsidy_eligible_share: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="Share of the capex that is eligible fixed capital for the state capital subsidy; null = 1 for the "
        "kinds in incentives.state_capital_subsidy.eligible_phase_kinds, 0 for the others. [fraction]",
    )
    tax_half_rate_first_year: bool = Field(
        False,
        description="Put to use for under 180 days in its commissioning year: tax depreciation at half the rate on "
        "the phase's capex in that year (Income-tax Act s.32(1), second proviso).",
    )
    gate: Gate | None = Field(None, description="Go/no-go gate: the phase is built only where it passes.")
    require: list[str] = Field([], description="Phases this one needs: it is not built where any of them is not.")

    @field_validator("spend_profile")
    @classmethod
    def _sums_to_one(cls, profile: list[float]) -> list[float]:
        total = sum(profile)
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"spend_profile {profile} sums to {total:g}; it must sum to 1")
        return profile

    @model_validator(mode="after")
    def _yield_only_for_cell_plants(self) -> CapexPhase:
        if self.kind != "cell_plant" and (self.yield_ramp is not None or self.yield_learning != "restart"):
            raise ValueError(
                f"yield_ramp and yield_learning apply to cell plants only; this phase is a {self.kind}: remove them"
            )
        return self

    @field_validator("capacity_gwh")
    @classmethod
    def _capacity_only_where_modelled(cls, capacity: float, info: ValidationInfo) -> float:
        kind = info.data.get("kind")
        if kind is not None and kind not in CAPACITY_KINDS and capacity != 0:
            raise ValueError(
                f"capacity_gwh is {capacity:g} but a {kind} adds no modelled capacity; "
                f"set it to 0 (capacity counts only for {', '.join(CAPACITY_KINDS)})"
            )
        return capacity


class Capex(StrictModel):
    phases: list[CapexPhase] = Field(..., description="Investment phases; merged by name across extends.")
    price_base_fy: int | None = Field(
        None, ge=2000, le=2100, description="FY whose prices the phases' capex_inr_cr are in; null = the first FY."
    )
    escalation_rate: YearlyRate = yearly(
        "Capex price escalation: phase capex is spent at base-FY prices x the index of the year spent; above -1 and "
        "at most 1 a year. [fraction/yr]",
        "rate",
        default=0.0,
    )
    replacement: Literal["maintenance_extends_life", "replace_at_end_of_life"] = Field(
        "maintenance_extends_life",
        description="maintenance_extends_life: maintenance capex keeps a phase running past its book life; "
        "replace_at_end_of_life: the phase's capex is spent again, at that year's prices, every book_life_years.",
    )
