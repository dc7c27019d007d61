"""The assumption set: typed, validated blocks (DESIGN.md section 3). Units live in the field names.

Money: INR crore (``_inr_cr``), INR per kWh (``_inr_per_kwh``), USD per kWh (``_usd_per_kwh``), USD million
(``_usd_m``). Energy: GWh per year. Rates and shares: fractions (0.05 = 5%). Fiscal years: 2028 = FY28.
Every yearly path is nominal in its own currency; write escalation as a growth path.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, PrivateAttr, SerializerFunctionWrapHandler, field_validator, model_serializer, model_validator

from tem.assumptions.demand import (  # noqa: F401 (demand segments and their products; names kept here)
    SEGMENTS,
    Demand,
    PriceRule,
    Segment,
    SegmentName,
    SegmentProduct,
)
from tem.assumptions.fields import (
    Identifier,
    Label,
    Note,
    StrictModel,
    YearlyNonNeg,
    YearlyPositive,
    YearlyShare,
    fiscal_year,
    nonneg,
    positive,
    share,
    yearly,
)
from tem.assumptions.financing import (  # noqa: F401 (tax, incentives, valuation and funding terms; names kept here)
    Funding,
    Incentives,
    StateCapitalSubsidy,
    Tax,
    TermDebt,
    Valuation,
    WorkingCapitalLoan,
)
from tem.assumptions.phases import (  # noqa: F401 (capex phases and gates live in phases.py; names kept here)
    CAPACITY_KINDS,
    GATE_LINES,
    Capex,
    CapexPhase,
    Gate,
    GateCondition,
    GateLine,
    PhaseKind,
    Share,
)
from tem.assumptions.yearly import check_yearly_horizon, fy_label, resolve_yearly


class Timeline(StrictModel):
    first_fy: int = fiscal_year("First fiscal year modelled (2026 = FY26 = April 2025 to March 2026).")
    horizon_years: int = Field(..., ge=1, le=50, description="Number of years modelled. [years]")
    discount_rate: float = Field(..., gt=0.0, lt=1.0, description="Nominal INR WACC. [fraction per year]")
    inflation_rate: float = Field(
        ..., ge=-0.1, le=0.5, description="INR inflation: escalates phase fixed opex and maintenance capex. [fraction/yr]"
    )
    inr_per_usd: YearlyPositive = yearly("Exchange rate path. [INR per USD]", "positive")
    mid_year_discounting: bool = Field(False, description="Discount flows at mid-year instead of year end.")


class LearningCurve(StrictModel):
    start_usd_per_kwh: float = positive("Price in the first year. [USD/kWh]")
    learning_rate: float = Field(..., ge=0.0, lt=1.0, description="Price fall per doubling of cumulative volume.")
    cumulative_growth_rate: float = Field(
        ..., ge=0.0, le=2.0, description="Yearly growth of the global cumulative volume. [fraction/yr]"
    )
    floor_usd_per_kwh: float = nonneg("The price never falls below this. [USD/kWh]", 0.0)


class ImportedCells(StrictModel):
    fob_price_usd_per_kwh: YearlyNonNeg | None = yearly("Cell price FOB China. [USD/kWh]", default=None)
    fob_learning_curve: LearningCurve | None = Field(
        None, description="Alternative to fob_price_usd_per_kwh: a learning curve on global cumulative volume."
    )
    freight_and_insurance_rate: float = share("Freight and insurance, fraction of FOB.")
    bcd_rate_vehicle: YearlyShare = yearly("Basic customs duty on cells for EV packs. [fraction]", "share")
    bcd_rate_ess: YearlyShare = yearly("Basic customs duty on cells for ESS packs. [fraction]", "share")
    social_welfare_surcharge_rate: float = share("Social welfare surcharge, fraction of the BCD.")
    logistics_inr_per_kwh: YearlyNonNeg = yearly("Clearing, port and inland logistics. [INR/kWh]")

    @model_validator(mode="after")
    def _one_price_form(self) -> ImportedCells:
        if (self.fob_price_usd_per_kwh is None) == (self.fob_learning_curve is None):
            raise ValueError("give exactly one of fob_price_usd_per_kwh and fob_learning_curve")
        return self


class MaterialGroup(StrictModel):
    world_price_usd_per_kwh: YearlyNonNeg = yearly("Material cost per kWh of cells started, world price. [USD/kWh]")
    local_share: YearlyShare = yearly("Share of this material bought in India. [fraction]", "share")
    local_price_factor: float = positive("Indian price relative to the world price. [ratio]")
    bcd_rate: YearlyShare = yearly("Customs duty on the imported part. [fraction]", "share")


class Pli(StrictModel):
    enabled: bool = Field(False, description="Whether the ACC PLI incentive is received.")
    rate_inr_per_kwh: float = nonneg("Bid subsidy per kWh of cells sold, before the DVA pro-rating. [INR/kWh]", 0.0)
    start_fy: int = fiscal_year("First fiscal year of the incentive term.", 2030)
    term_years: int = Field(5, ge=0, le=20, description="Years the incentive is paid. [years]")
    first_dva_threshold_share: float = share("DVA needed from first_dva_threshold_after_years on.", 0.25)
    first_dva_threshold_after_years: int = Field(2, ge=0, le=20, description="[years after start_fy]")
    second_dva_threshold_share: float = share("DVA needed from second_dva_threshold_after_years on.", 0.60)
    second_dva_threshold_after_years: int = Field(5, ge=0, le=20, description="[years after start_fy]")
    revenue_cap_share: float = share("Yearly cap as a fraction of the market value of local cells.", 0.20)
    total_cap_inr_cr: float | None = Field(
        None, ge=0.0, description="Cap on the cumulative incentive; null = none. [INR crore]"
    )


class LocalCells(StrictModel):
    materials: dict[Identifier, MaterialGroup] = Field(
        ..., min_length=1, description="Material groups by name (letters, digits and _, like phase names)."
    )
    labour_inr_per_kwh: YearlyNonNeg = yearly("Labour per kWh started at the reference scale. [INR/kWh]")
    energy_inr_per_kwh: YearlyNonNeg = yearly("Energy per kWh started at the reference scale. [INR/kWh]")
    overhead_inr_per_kwh: YearlyNonNeg = yearly("Variable overhead per kWh started at the reference scale. [INR/kWh]")
    conversion_learning_rate: float = Field(
        ..., ge=0.0, lt=1.0, description="Fall of conversion cost per doubling of own cumulative output."
    )
    conversion_reference_gwh: float = positive("Cumulative own output at which the conversion inputs hold. [GWh]")
    yield_ramp: list[Share] = Field(
        ..., min_length=1, description="Good cells / cells started, by year of local production; the last value holds."
    )
    royalty_usd_per_kwh: YearlyNonNeg = yearly("Royalty to the technology partner per kWh of local cells. [USD/kWh]")
    technology_fee_usd_m: YearlyNonNeg = yearly("Technology transfer fee paid to the partner. [USD million/yr]")
    pli: Pli = Field(default_factory=Pli)


class Cells(StrictModel):
    imported: ImportedCells
    local: LocalCells


class Pack(StrictModel):
    non_cell_bom_usd_per_kwh: YearlyNonNeg = yearly("BMS, thermal, enclosure, harness at world prices. [USD/kWh]")
    non_cell_local_share: YearlyShare = yearly("Share of the non-cell BOM bought in India. [fraction]", "share")
    non_cell_local_price_factor: float = positive("Indian price relative to the world price. [ratio]")
    non_cell_bcd_rate: YearlyShare = yearly("Customs duty on imported non-cell parts. [fraction]", "share")
    assembly_inr_per_kwh: YearlyNonNeg = yearly("Pack assembly conversion (labour, energy, overhead). [INR/kWh]")
    pack_yield: float = Field(..., gt=0.0, le=1.0, description="Good packs / packs started (cells lost).")


class Transition(StrictModel):
    local_cells_start_fy: int | None = Field(
        ..., ge=2000, le=2100, description="First FY of local cells; null = never (import only)."
    )
    ramp_years: int = Field(..., ge=1, le=30, description="Years to reach the target local share. [years]")
    target_local_share: YearlyShare = yearly("Target share of cells made locally once ramped. [fraction]", "share")
    overflow_policy: Literal["import_packs", "unmet"] = Field(
        ..., description="Demand above pack capacity: import finished packs, or leave it unmet."
    )
    bought_in_pack_fob_usd_per_kwh: YearlyNonNeg = yearly("Finished pack price FOB China. [USD/kWh]")
    bought_in_pack_bcd_rate: YearlyShare = yearly("Customs duty on finished packs. [fraction]", "share")
    pack_allocation: Literal["priority", "pro_rata"] = Field(
        "priority",
        description="When pack capacity binds: serve segments in pack_priority order, or each pro rata to its demand.",
    )
    pack_priority: list[SegmentName] = Field(
        ["captive", "external_oem", "ess"], description="Order in which segments get packs made in India (first first)."
    )
    local_cell_allocation: Literal["max_margin", "max_saving", "order", "pro_rata"] = Field(
        "max_saving",
        description="Which segments' packs get the local cells: max_margin = where a local cell adds the most to EBITDA "
        "(a cost-plus segment passes most of a saving to its buyer), max_saving = where a local cell avoids the most "
        "landed cost per kWh (the dearest landed imported cell first), order = local_cell_priority, pro_rata = in "
        "proportion to the packs made for each.",
    )
    local_cell_priority: list[SegmentName] = Field(
        ["captive", "external_oem", "ess"], description="Order in which segments get local cells (rule order)."
    )

    @field_validator("pack_priority", "local_cell_priority")
    @classmethod
    def _each_segment_once(cls, order: list[str]) -> list[str]:
        if sorted(order) != sorted(SEGMENTS):
            raise ValueError(f"{order} must list each segment exactly once: {', '.join(SEGMENTS)}")
        return order


class Opex(StrictModel):
    rnd_inr_cr: YearlyNonNeg = yearly("Centre of excellence spend. [INR crore/yr]")
    rnd_revenue_share: float = share("R&D spend as a fraction of revenue.", 0.0)
    sga_revenue_share: float = share("SG&A as a fraction of revenue.")
    warranty_revenue_share: float = share("Warranty provision as a fraction of revenue.")


class WorkingCapital(StrictModel):
    receivable_days: float = Field(..., ge=0, le=365, description="[days of revenue]")
    inventory_days: float = Field(..., ge=0, le=365, description="[days of cost of goods]")
    payable_days: float = Field(..., ge=0, le=365, description="[days of purchases]")


class Recycling(StrictModel):
    credit_usd_per_kwh: YearlyNonNeg = yearly("Net value recovered per kWh recycled. [USD/kWh]", default=0.0)
    end_of_life_return_share: float = share("Share of packs sold that come back for recycling.", 0.0)
    battery_life_years: int = Field(8, ge=1, le=30, description="Years from sale to end of life. [years]")


class Reporting(StrictModel):
    # An empty list given is refused (it used to drop the DVA KPIs without a word); the default, no key, still means
    # none: it is not validated, and a dump leaves it out (below) so that every resolved.yaml loads back.
    dva_fys: list[int] = Field(
        [],
        description="Fiscal years whose DVA share is reported as a KPI (each once; leave the key out for none).",
        validate_default=False,
    )

    @model_serializer(mode="wrap")
    def _leave_out_no_years(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if not self.dva_fys:
            data.pop("dva_fys", None)  # the default, which the schema refuses when written: a dump must load back
        return data

    @field_validator("dva_fys")
    @classmethod
    def _distinct_years(cls, fys: list[int]) -> list[int]:
        if not fys:
            raise ValueError(
                f"{fys} lists no fiscal year; allowed: one or more fiscal years of the horizon, each once (e.g. [2030])"
            )
        twice = sorted({fy for fy in fys if fys.count(fy) > 1})
        if twice:
            raise ValueError(f"{fys}: {', '.join(map(str, twice))} listed more than once; give each fiscal year once")
        return fys


class Counterfactual(StrictModel):
    drop_phase_kinds: list[PhaseKind] = Field(
        ["cell_plant", "recycling"], description="Phase kinds the import-only counterfactual does not build."
    )
    import_only: bool = Field(
        False,
        description="Run this assumption set as its own import-only counterfactual: the same definition the KPIs "
        "compare with (local cells never start; phases of drop_phase_kinds not built; no technology fee).",
    )


class DecisionStep(StrictModel):
    """One step of the program seen as nested decisions: the phases this decision adds to the steps before it."""

    name: str = Field(..., min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_]+$", description="Unique id.")
    label: Label = Field("", max_length=120, description="What the board decides at this step.")
    phases: list[str] = Field(..., description="Capex phases this step adds (each phase in at most one step).")


class Assumptions(StrictModel):
    name: Label = Field(..., min_length=1, max_length=80, description="Scenario name (output folder).")
    description: Note = Field("", max_length=4000)
    timeline: Timeline
    demand: Demand
    cells: Cells
    pack: Pack
    transition: Transition
    capex: Capex
    opex: Opex
    working_capital: WorkingCapital
    tax: Tax
    incentives: Incentives = Field(default_factory=Incentives)
    recycling: Recycling = Field(default_factory=Recycling)
    valuation: Valuation = Field(default_factory=Valuation)
    funding: Funding = Field(default_factory=Funding)
    reporting: Reporting = Field(default_factory=Reporting)
    counterfactual: Counterfactual = Field(default_factory=Counterfactual)
    decisions: list[DecisionStep] = Field(
        [], description="Nested programs for `tem decisions` (default: by phase kind, see README)."
    )

    _sources: tuple[tuple[str, str], ...] = PrivateAttr(default=())  # (file, sha256), base file first
    _overrides: dict[str, Any] = PrivateAttr(default_factory=dict)
    _origins: dict[str, tuple[str, int | None]] = PrivateAttr(default_factory=dict)  # dotted path -> (file, line)

    @property
    def sources(self) -> tuple[tuple[str, str], ...]:
        """Assumption files read, base first, each with its SHA-256."""
        return self._sources

    @property
    def overrides(self) -> dict[str, Any]:
        return dict(self._overrides)

    @property
    def origins(self) -> dict[str, tuple[str, int | None]]:
        """Where each dotted path was set: (file, line), or ('--set' / '<python>', None) for overrides."""
        return dict(self._origins)

    @property
    def fiscal_years(self) -> list[int]:
        return [self.timeline.first_fy + i for i in range(self.timeline.horizon_years)]

    @model_validator(mode="after")
    def _horizon_checks(self) -> Assumptions:
        from tem.assumptions.checks import horizon_problems

        problems = horizon_problems(self)
        if not problems:
            from tem.assumptions.gates import gate_problems

            problems = gate_problems(self)
        if problems:
            raise HorizonError(problems)
        return self


class HorizonError(ValueError):
    """Problems found once the timeline is known; each is (dotted path, message)."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{p}: {m}" for p, m in problems))


__all__ = [
    "Assumptions",
    "CapexPhase",
    "HorizonError",
    "check_yearly_horizon",
    "fy_label",
    "resolve_yearly",
]
