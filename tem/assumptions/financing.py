"""Tax, incentives, valuation and funding terms of the assumption set (part of :mod:`tem.assumptions.schema`).

Rates are fractions a year; money in INR crore. README "Model definitions" (tax, state capital subsidy, terminal
value, funding) gives the formulas these inputs feed.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from tem.assumptions.fields import StrictModel, YearlyShare, nonneg, share, yearly
from tem.assumptions.phases import PhaseKind


class Tax(StrictModel):
    corporate_rate: float = share("Effective corporate tax rate.")
    loss_carry_forward_years: int = Field(
        ..., ge=0, le=50, description="Years a business loss can be set off; unabsorbed depreciation has no limit. [years]"
    )
    structure: Literal["standalone", "within_parent"] = Field(
        "standalone",
        description="standalone: losses carried forward; within_parent: a division whose losses the parent's "
        "profits absorb in the year (negative tax).",
    )


class StateCapitalSubsidy(StrictModel):
    enabled: bool = Field(False, description="Whether the state pays a capital subsidy.")
    share_of_eligible_capex: float = share("Subsidy as a fraction of eligible fixed capital.", 0.0)
    instalments: int = Field(1, ge=1, le=30, description="Number of equal yearly instalments. [count]")
    first_instalment_after_years: int = Field(
        1, ge=0, le=10, description="Years from the commissioning year to the first instalment (0: that year). [years]"
    )
    cap_inr_cr: float | None = Field(None, ge=0.0, description="Cap on the total paid; null = none. [INR crore]")
    tax_treatment: Literal["reduces_block", "taxable"] = Field(
        "reduces_block",
        description="reduces_block: lowers the asset's tax block when received (Income-tax Act s.43(1) Explanation "
        "10), any excess over the block taxed; taxable: taxed as income when received.",
    )
    eligible_phase_kinds: list[PhaseKind] = Field(
        ["pack_line", "module_line", "cell_plant"],
        description="Phase kinds whose capex is eligible unless a phase sets subsidy_eligible_share.",
    )


class Incentives(StrictModel):
    state_capital_subsidy: StateCapitalSubsidy = Field(default_factory=StateCapitalSubsidy)


class Valuation(StrictModel):
    terminal_value_method: Literal["none", "perpetuity", "ebitda_multiple"] = "none"
    terminal_growth_rate: float = Field(0.0, ge=-0.5, lt=1.0, description="Perpetuity growth. [fraction/yr]")
    terminal_ebitda_multiple: float = nonneg("Exit multiple of the last year's EBITDA. [x]", 0.0)
    terminal_value_floor: Literal["none", "zero", "salvage"] = Field(
        "salvage",
        description="Floor of the terminal value: none, zero, or salvage (net book value of fixed assets + working "
        "capital in the last year).",
    )
    hurdle_rate: float = Field(0.145, gt=0.0, lt=1.0, description="Hurdle for the project IRR. [fraction]")
    mirr_finance_rate: float | None = Field(None, gt=-1.0, lt=1.0, description="Default: discount_rate.")
    mirr_reinvestment_rate: float | None = Field(None, gt=-1.0, lt=1.0, description="Default: discount_rate.")


class TermDebt(StrictModel):
    debt_share: float = share("Share of each phase's capex funded by the term loan (0 = no term debt).", 0.0)
    structure: Literal["by_phase", "facility"] = Field(
        "by_phase",
        description="by_phase: one loan per phase, repaid from its commissioning; facility: one loan for the program, "
        "repaid from the first commissioning.",
    )
    interest_rate: YearlyShare = yearly("Term-loan interest rate. [fraction/yr]", "share", default=0.095)
    tenor_years: int = Field(7, ge=1, le=30, description="Years of repayment after the moratorium. [years]")
    moratorium_years: int = Field(
        1, ge=0, le=10, description="Years from commissioning to the first repayment (0: repay from that year). [years]"
    )
    repayment: Literal["equal_principal", "annuity"] = Field(
        "equal_principal", description="Equal principal instalments, or equal instalments of principal and interest."
    )
    upfront_fee_rate: float = share("Upfront fee, fraction of each drawdown, paid at drawdown and capitalised.", 0.0)


class WorkingCapitalLoan(StrictModel):
    funded_share: float = share("Share of working capital funded by a bank working-capital loan.", 0.0)
    interest_rate: YearlyShare = yearly("Working-capital loan interest rate. [fraction/yr]", "share", default=0.095)


class Funding(StrictModel):
    term_debt: TermDebt = Field(default_factory=TermDebt)
    working_capital_loan: WorkingCapitalLoan = Field(default_factory=WorkingCapitalLoan)
    cost_of_equity: float = Field(0.145, gt=0.0, lt=1.0, description="Discount rate of the equity cash flow. [fraction]")
