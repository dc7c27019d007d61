"""Every KPI and fixed statement line a reader sees: key -> label, kind (unit, formats) and definition (README
"Model definitions" and "KPIs" give the formulas); the headline KPIs; the segments' reader names."""

from __future__ import annotations

from tem.catalogue.kinds import Entry, entries

KPIS: dict[str, Entry] = entries(
    [
        (
            "npv_inr_cr",
            "NPV",
            "inr_cr",
            "Sum of free cash flow x discount factor over the horizon (terminal value included)",
        ),
        (
            "npv_without_terminal_value_inr_cr",
            "NPV without terminal value",
            "inr_cr",
            "NPV if the programme stopped at the horizon (working capital released in the last year)",
        ),
        (
            "terminal_value_pv_inr_cr",
            "Terminal value (present value)",
            "inr_cr",
            "Terminal value x its discount factor (0 without a terminal value)",
        ),
        ("irr", "IRR", "rate", "Rate at which the NPV of free cash flow is zero (see README, finance contract)"),
        ("irr_status", "IRR status", "status", "0: IRR found; other codes say why there is none (README)"),
        (
            "mirr",
            "MIRR",
            "rate",
            "Modified IRR (Excel MIRR) of FCF; finance and reinvestment rates default to the discount rate",
        ),
        (
            "payback_years",
            "Payback",
            "years",
            "Years until cumulative FCF before terminal value turns non-negative for good",
        ),
        (
            "discounted_payback_years",
            "Discounted payback",
            "years",
            "Years until cumulative PV before terminal value turns non-negative for good",
        ),
        (
            "peak_funding_inr_cr",
            "Peak funding",
            "inr_cr",
            "-min(0, lowest cumulative free cash flow before terminal value)",
        ),
        ("peak_funding_fy", "Peak funding in", "fy", "The FY of the lowest cumulative FCF before terminal value"),
        ("total_capex_inr_cr", "Total capex (phases)", "inr_cr", "Phase spend at the prices of the years spent"),
        ("maintenance_capex_inr_cr", "Maintenance capex (total)", "inr_cr", "Sum of maintenance capex over the horizon"),
        ("replacement_capex_inr_cr", "Replacement capex (total)", "inr_cr", "Sum of replacement capex over the horizon"),
        (
            "state_subsidy_inr_cr",
            "State capital subsidy (total)",
            "inr_cr",
            "Sum of the state capital subsidy received over the horizon",
        ),
        ("levelized_pack_cost_inr_per_kwh", "Levelized pack cost", "inr_kwh", "PV(pack costs) / PV(pack kWh delivered)"),
        ("levelized_pack_cost_usd_per_kwh", "Levelized pack cost", "usd_kwh", "PV(pack costs in USD) / PV(kWh)"),
        ("levelized_cell_cost_inr_per_kwh", "Levelized cell cost", "inr_kwh", "PV(cell costs) / PV(cell kWh)"),
        ("levelized_cell_cost_usd_per_kwh", "Levelized cell cost", "usd_kwh", "PV(cell costs in USD) / PV(cell kWh)"),
        ("npv_import_only_inr_cr", "NPV of import-only", "inr_cr", "NPV of the import-only counterfactual"),
        ("incremental_npv_vs_import_inr_cr", "NPV vs import-only", "inr_cr", "NPV minus the import-only NPV"),
        (
            "levelized_pack_cost_import_only_inr_per_kwh",
            "Levelized pack cost, import-only",
            "inr_kwh",
            "Levelized pack cost of the import-only counterfactual",
        ),
        (
            "incremental_levelized_pack_cost_inr_per_kwh",
            "Pack cost vs import-only",
            "inr_kwh",
            "Levelized pack cost minus the import-only one",
        ),
        (
            "crossover_fy",
            "Local cells cheaper from (full cost)",
            "fy",
            "First FY with local full cost <= the landed imported cells replaced",
        ),
        ("cumulative_forex_saved_usd_m", "Forex saved (cumulative)", "usd_m", "Import-only forex outflow minus ours"),
        ("forex_outflow_usd_m", "Forex outflow (total)", "usd_m", "Sum of yearly forex outflow"),
        (
            "forex_outflow_import_only_usd_m",
            "Forex outflow (total), import-only",
            "usd_m",
            "Sum of the import-only counterfactual's yearly forex outflow",
        ),
        ("revenue_inr_cr", "Revenue (total)", "inr_cr", "Sum of yearly revenue"),
        ("local_cells_gwh", "Local cells (total)", "gwh", "Sum of good local cells made"),
        ("committed_npv_inr_cr", "NPV, committed (every gate open)", "inr_cr", "NPV with every gate forced open"),
        (
            "value_of_flexibility_inr_cr",
            "Value of flexibility",
            "inr_cr",
            "Mean NPV with gates minus mean NPV committed (same draws)",
        ),
        (
            "p_npv_below_zero",
            "P(NPV < 0)",
            "rate",
            "Share of the Monte Carlo scenarios with NPV below zero (a probability; its differences in points)",
        ),
        ("equity_npv_inr_cr", "Equity NPV", "inr_cr", "Equity cash flow discounted at the cost of equity"),
        ("equity_irr", "Equity IRR", "rate", "Rate at which the NPV of the equity cash flow is zero"),
        ("equity_irr_status", "Equity IRR status", "status", "0: equity IRR found; other codes as for the IRR"),
        ("peak_equity_inr_cr", "Peak equity need", "inr_cr", "-min(0, lowest cumulative equity cash flow before TV)"),
        ("peak_equity_fy", "Peak equity need in", "fy", "The FY of the lowest cumulative equity cash flow"),
        ("min_dscr", "Minimum DSCR", "times", "Lowest CFADS / debt service over the years with debt service"),
        ("min_dscr_fy", "Minimum DSCR in", "fy", "The FY of the minimum DSCR"),
        ("avg_dscr", "Average DSCR", "times", "Mean of the yearly DSCR over the years with debt service"),
        ("llcr", "LLCR", "times", "PV(CFADS) / PV(debt service) over the loan life, at the loan rate"),
        ("term_debt_drawn_inr_cr", "Term debt drawn", "inr_cr", "Sum of term-loan drawdowns (debt share x capex)"),
        (
            "interest_during_construction_inr_cr",
            "Interest during construction",
            "inr_cr",
            "Term-loan interest of construction years, capitalised into the loan",
        ),
    ]
)

STATEMENT_LINES: dict[str, Entry] = entries(
    [
        ("demand_total_gwh", "Demand: total", "gwh", "Sum of segment demand"),
        ("pack_capacity_gwh", "Pack capacity (ramped)", "gwh", "Commissioned pack capacity x utilization ramp"),
        ("pack_output_gwh", "Packs made in India", "gwh", "min(demand, pack capacity)"),
        ("bought_in_packs_gwh", "Packs bought in (imported)", "gwh", "Demand above pack capacity, when bought in"),
        ("unmet_demand_gwh", "Demand not met", "gwh", "Demand above pack capacity, when left unmet"),
        ("cells_required_gwh", "Cells required", "gwh", "Pack output / pack yield"),
        ("cell_nameplate_gwh", "Cell plant nameplate", "gwh", "Commissioned cell capacity"),
        ("local_cells_gwh", "Cells made in India (good)", "gwh", "Good local cells used"),
        ("imported_cells_gwh", "Cells imported", "gwh", "Cells required - local cells"),
        ("local_cell_share", "Local share of cells", "rate", "Local cells / cells required"),
        ("cell_yield", "Cell yield", "rate", "Good cells / cells started"),
        ("cell_plant_utilization", "Cell plant utilization", "rate", "Utilization ramp of the cell plants"),
        ("recycled_gwh", "Cells recycled", "gwh", "GWh processed by the recycling line"),
        ("revenue_total", "Revenue", "inr_cr", "Sum of segment revenue"),
        ("cogs_total", "Cost of goods", "inr_cr", "Sum of the cost-of-goods lines"),
        ("gross_margin", "Gross margin", "inr_cr", "Revenue - cost of goods"),
        ("fixed_opex", "Fixed opex of phases", "inr_cr", "Fixed opex of commissioned phases"),
        ("rnd", "R&D / centre of excellence", "inr_cr", "R&D share of revenue + centre spend"),
        ("sga", "SG&A", "inr_cr", "SG&A share of revenue"),
        ("warranty", "Warranty", "inr_cr", "Warranty share of revenue"),
        ("technology_fee", "Technology fee to partner", "inr_cr", "Yearly fee to the partner"),
        ("pli_incentive", "ACC PLI incentive", "inr_cr", "Rate x DVA factor x eligible GWh (README)"),
        ("ebitda", "EBITDA", "inr_cr", "Gross margin - opex + incentives"),
        ("book_depreciation", "Book depreciation", "inr_cr", "Straight line over book life"),
        ("ebit", "EBIT", "inr_cr", "EBITDA - book depreciation"),
        ("tax_depreciation", "Tax depreciation (memo)", "inr_cr", "Written-down value depreciation"),
        ("taxable_income_before_losses", "Taxable income before losses", "inr_cr", "EBITDA - tax depreciation"),
        ("losses_set_off", "Losses set off (memo)", "inr_cr", "Losses carried forward used this year"),
        ("losses_expired", "Business losses expired (memo)", "inr_cr", "Business losses whose last usable year ended"),
        (
            "business_loss_pool_end",
            "Business losses carried forward (memo)",
            "inr_cr",
            "Business losses still usable in a later year, at year end",
        ),
        (
            "unabsorbed_depreciation_pool_end",
            "Unabsorbed depreciation carried forward (memo)",
            "inr_cr",
            "Tax depreciation not yet absorbed by profits; no time limit",
        ),
        (
            "loss_pool_end",
            "Losses carried forward (memo)",
            "inr_cr",
            "Business losses still usable later + unabsorbed depreciation, at year end",
        ),
        (
            "tax",
            "Tax",
            "inr_cr",
            "Standalone: rate x taxable income after losses, never negative; within the parent: rate x taxable",
        ),
        ("maintenance_capex", "Maintenance capex", "inr_cr", "Rate x cumulative phase capex, escalated"),
        ("replacement_capex", "Replacement capex", "inr_cr", "Phases bought again at the end of their book life"),
        ("capex_total", "Capex total", "inr_cr", "Phase capex + maintenance capex + replacement capex"),
        ("capital_cost_index", "Capex price index", "factor", "Capex prices of the year relative to the base FY"),
        (
            "state_capital_subsidy",
            "State capital subsidy",
            "inr_cr",
            "Share of eligible capex paid in yearly instalments after commissioning (README)",
        ),
        (
            "state_subsidy_taxable",
            "State subsidy taxed when received (memo)",
            "inr_cr",
            "All of it (taxable), or the part above the asset's tax block (reduces_block)",
        ),
        ("working_capital", "Working capital (memo)", "inr_cr", "Receivables + inventory - payables"),
        ("change_in_working_capital", "Change in working capital", "inr_cr", "Minus the year's increase in working capital"),
        ("working_capital_release", "Working capital released", "inr_cr", "Release in the last year without terminal value"),
        ("terminal_value", "Terminal value", "inr_cr", "Value of the years after the horizon, in the last year (floored)"),
        (
            "normalised_free_cash_flow",
            "Normalised free cash flow (memo)",
            "inr_cr",
            "EBITDA - tax on it - maintenance capex - g/(1+g) x WC: the perpetuity's base",
        ),
        ("net_book_value", "Net book value of fixed assets (memo)", "inr_cr", "Assets put in service - book depreciation"),
        ("salvage_value", "Salvage value (memo)", "inr_cr", "Net book value + working capital: the terminal value's floor"),
        ("free_cash_flow", "Free cash flow", "inr_cr", "EBITDA - tax - capex - change in working capital (+ TV)"),
        (
            "free_cash_flow_before_terminal_value",
            "Free cash flow before terminal value",
            "inr_cr",
            "Free cash flow without the terminal value (the WC release included)",
        ),
        (
            "cumulative_free_cash_flow_before_terminal_value",
            "Cumulative FCF before terminal value",
            "inr_cr",
            "Running sum of FCF before terminal value: the basis of payback and peak funding",
        ),
        ("cumulative_free_cash_flow", "Cumulative free cash flow", "inr_cr", "Running sum of free cash flow"),
        ("discount_factor", "Discount factor", "factor", "(1 + r)^-(t + 1), or ^-(t + 0.5) mid-year"),
        (
            "terminal_value_discount_factor",
            "Discount factor, terminal value",
            "factor",
            "(1 + r)^-(t + 1); ^-(t + 0.5) for a perpetuity under mid-year discounting",
        ),
        (
            "present_value_before_terminal_value",
            "Present value before terminal value",
            "inr_cr",
            "FCF before terminal value x discount factor",
        ),
        (
            "cumulative_present_value_before_terminal_value",
            "Cumulative PV before terminal value",
            "inr_cr",
            "Running sum of PV before terminal value: the basis of discounted payback",
        ),
        (
            "present_value",
            "Present value",
            "inr_cr",
            "FCF before terminal value x discount factor + terminal value x its discount factor",
        ),
        ("cumulative_present_value", "Cumulative present value", "inr_cr", "Running sum of present value"),
        ("imported_content", "Imported content (landed)", "inr_cr", "Landed value of imported cells, materials and parts"),
        ("dva_share", "Domestic value addition (DVA)", "rate", "1 - imported content / revenue"),
        ("cell_dva_share", "DVA of local cells", "rate", "1 - imported content of local cells / their value"),
        ("forex_outflow_usd_m", "Forex outflow", "usd_m", "Imports paid in foreign currency"),
        ("inr_per_usd", "Exchange rate", "inr_per_usd", "INR per USD path"),
        (
            "pl_depreciation",
            "Depreciation (incl. capitalised borrowing costs)",
            "inr_cr",
            "Book depreciation + that of IDC and fees",
        ),
        ("pl_ebit", "EBIT (P&L)", "inr_cr", "EBITDA - depreciation (incl. capitalised borrowing costs)"),
        (
            "interest_expense",
            "Interest expense",
            "inr_cr",
            "Term interest after construction + working-capital loan interest",
        ),
        ("pbt", "Profit before tax", "inr_cr", "EBIT - interest expense"),
        ("pl_tax", "Tax (interest deducted)", "inr_cr", "Tax with interest and capitalised-cost depreciation deducted"),
        ("pat", "Profit after tax", "inr_cr", "PBT - tax"),
        ("term_debt_opening", "Term debt: opening", "inr_cr", "Closing balance of the year before"),
        ("term_debt_drawn", "Term debt: drawn", "inr_cr", "Debt share x capex spend"),
        (
            "interest_during_construction",
            "Term debt: interest capitalised (IDC)",
            "inr_cr",
            "Interest of construction years",
        ),
        ("term_debt_interest_paid", "Term debt: interest paid", "inr_cr", "Interest after construction"),
        ("term_debt_repaid", "Term debt: repaid (scheduled)", "inr_cr", "Equal principal or annuity principal"),
        ("term_debt_balloon", "Term debt: repaid at horizon end", "inr_cr", "Balance left in the last year"),
        ("term_debt_closing", "Term debt: closing", "inr_cr", "Opening + drawn + IDC - repaid"),
        ("upfront_fees", "Upfront fees (capitalised)", "inr_cr", "Fee rate x drawdown"),
        ("wc_loan_closing", "Working-capital loan: closing", "inr_cr", "Funded share x working capital; 0 in the last year"),
        ("wc_loan_interest", "Working-capital loan: interest", "inr_cr", "Rate x opening balance"),
        (
            "cfads",
            "Cash flow available for debt service",
            "inr_cr",
            "EBITDA - tax - maintenance capex - WC build net of its loan",
        ),
        ("debt_service", "Debt service (term)", "inr_cr", "Term interest paid + scheduled repayment"),
        ("dscr", "DSCR", "times", "CFADS / debt service"),
        ("equity_cash_flow", "Equity cash flow", "inr_cr", "FCF + tax saved by interest + debt drawn - debt service - fees"),
        ("cumulative_equity_cash_flow", "Cumulative equity cash flow", "inr_cr", "Running sum of equity cash flow"),
        (
            "equity_present_value",
            "Equity present value",
            "inr_cr",
            "Equity cash flow x discount factor at the cost of equity",
        ),
    ]
)

# the KPIs of `tem run`'s table and of the comparison table, in reading order
HEADLINE_KPIS = (
    "npv_inr_cr",
    "npv_without_terminal_value_inr_cr",
    "irr",
    "mirr",
    "payback_years",
    "discounted_payback_years",
    "peak_funding_inr_cr",
    "peak_funding_fy",
    "equity_irr",
    "min_dscr",
    "peak_equity_inr_cr",
    "total_capex_inr_cr",
    "levelized_pack_cost_inr_per_kwh",
    "levelized_pack_cost_usd_per_kwh",
    "levelized_cell_cost_inr_per_kwh",
    "levelized_cell_cost_usd_per_kwh",
    "incremental_npv_vs_import_inr_cr",
    "incremental_levelized_pack_cost_inr_per_kwh",
    "crossover_fy",
    "cumulative_forex_saved_usd_m",
)

# the lines a gate condition can read (tem.model.gates.LINES), as a reader sees them
GATE_LINES: dict[str, Entry] = entries(
    [
        ("imported_cell_landed_inr_per_kwh", "Imported cell landed cost", "inr_kwh", "FOB + freight + duties + logistics"),
        ("imported_cell_fob_usd_per_kwh", "Imported cell FOB", "usd_kwh", "Imported cell price at the port of loading"),
        (
            "local_cell_variable_minus_imported_inr_per_kwh",
            "Local cell variable cost minus imported landed",
            "inr_kwh",
            "Local cell variable cost - landed cost of the imported cell it replaces (none without local cells)",
        ),
        ("cell_yield", "Cell yield", "rate", "Good cells / cells started"),
        ("dva_share", "DVA on sales", "rate", "Domestic value addition / sales"),
        ("local_cells_gwh", "Local cells", "gwh", "Cells made in the plants"),
        ("ebitda_inr_cr", "EBITDA", "inr_cr", "Earnings before interest, tax, depreciation and amortisation"),
        (
            "cell_duty_minus_pack_duty_rate",
            "Cell duty minus pack duty (widest gap)",
            "rate",
            "max over segments with demand of (basic customs duty on cells - on finished packs)",
        ),
    ]
)

SEGMENT_LABELS = {"captive": "captive vehicles", "external_oem": "external OEMs", "ess": "energy storage"}

# per segment: the price its rule sets, its variable cost and its contribution margin (README "Segments")
STATEMENT_LINES.update(
    entries(
        [
            row
            for seg, name in SEGMENT_LABELS.items()
            for row in (
                (
                    f"price_{seg}_inr_per_kwh",
                    f"Selling price: {name}",
                    "inr_kwh",
                    "Set by the segment's price rule: path, import parity (landed imported pack x (1 + premium)) or "
                    "cost plus (own cost per kWh x (1 + markup))",
                ),
                (
                    f"variable_cost_{seg}",
                    f"Variable cost: {name}",
                    "inr_cr",
                    "Cells, non-cell parts, assembly and bought-in packs of the segment, less its share of the "
                    "recycling credit",
                ),
                (f"contribution_margin_{seg}", f"Contribution margin: {name}", "inr_cr", "Revenue - variable cost"),
            )
        ]
    )
)
