"""README "Model definitions", checked by reimplementing them: every statement line and KPI of the base case and of
every scenario file is recomputed here from the assumption values and the README text alone (plain numpy, one
scenario, no function of tem.model or tem.finance), and must match the engine to rel 1e-9.

When the README changes, this file changes with it; when they disagree, one of them is wrong.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import tem
from tem.assumptions.yearly import resolve_yearly

ROOT = Path(__file__).parents[2]
FILES = [ROOT / "assumptions" / "base.yaml", *sorted((ROOT / "assumptions" / "scenarios").glob("*.yaml"))]
REL = 1e-9
SEGMENTS = ("captive", "external_oem", "ess")


class Doc:
    """The README's definitions, applied to one assumption set."""

    def __init__(self, a: tem.Assumptions, gates: bool = True):
        if a.counterfactual.import_only:  # README: such a set is run as the import-only counterfactual itself
            a = counterfactual(a)
        if gates and any(ph.gate is not None for ph in a.capex.phases):
            a = decided(a)  # README "Gates": the program each gate decides
        self.a = a
        self.first, self.n = a.timeline.first_fy, a.timeline.horizon_years
        self.t = np.arange(self.n, dtype=float)
        self.fy = self.first + self.t
        self.fx = self.y(a.timeline.inr_per_usd)
        self.volumes()
        self.costs()
        self.operations()
        self.tax()
        self.cash()

    def y(self, value: Any) -> np.ndarray:
        """A yearly input, one value per FY ("Assumption files")."""
        return resolve_yearly(value, self.first, self.n)

    @staticmethod
    def ramp(values: list[float], age: np.ndarray) -> np.ndarray:
        return np.where(age >= 0, np.asarray(values)[np.clip(age, 0, len(values) - 1).astype(int)], 0.0)

    def capacity(self, kind: str, ramped: bool = True) -> np.ndarray:
        total = np.zeros(self.n)
        for ph in self.a.capex.phases:
            if ph.kind == kind:
                age = self.fy - ph.commissioning_fy
                total += ph.capacity_gwh * (self.ramp(ph.utilization_ramp, age) if ramped else (age >= 0))
        return total

    # --- volumes ------------------------------------------------------------------------------------------
    def volumes(self) -> None:
        a = self.a
        tr = a.transition
        self.demand = {}
        for s in SEGMENTS:
            seg = getattr(a.demand, s)
            gwh = (
                self.y(seg.volume_gwh) if seg.volume_gwh is not None else self.y(seg.units) * self.y(seg.kwh_per_unit) / 1e6
            )
            self.demand[s] = gwh * (self.fy >= seg.start_fy)
        self.demand_total = sum(self.demand.values())
        self.pack_capacity = self.capacity("pack_line")
        self.pack_output = np.minimum(self.demand_total, self.pack_capacity)
        excess = self.demand_total - self.pack_output
        keep = tr.overflow_policy == "import_packs"
        self.bought_in = excess if keep else 0 * excess
        self.delivered = self.pack_output + self.bought_in
        total = np.where(self.demand_total > 0, self.demand_total, 1)
        if tr.pack_allocation == "priority":
            self.made, before = {}, 0.0
            for s in tr.pack_priority:
                self.made[s] = np.minimum(np.maximum(self.pack_output - before, 0), self.demand[s])
                before = before + self.demand[s]
            self.bought = {s: (self.demand[s] - self.made[s]) * keep for s in SEGMENTS}
            self.met = {s: self.made[s] + self.bought[s] for s in SEGMENTS}
        else:
            on = self.demand_total > 0
            self.made = {s: d * np.where(on, self.pack_output / total, 0) for s, d in self.demand.items()}
            self.bought = {s: d * np.where(on, self.bought_in / total, 0) for s, d in self.demand.items()}
            self.met = {s: d * np.where(on, self.delivered / total, 0) for s, d in self.demand.items()}
        self.cells_required = self.pack_output / a.pack.pack_yield
        start = tr.local_cells_start_fy
        age = self.fy - (start if start is not None else 10**6)
        usable = good = np.zeros(self.n)
        plants = [ph for ph in a.capex.phases if ph.kind == "cell_plant"]
        for i, ph in enumerate(plants):
            if ph.capacity_gwh == 0:
                continue
            started = ph.capacity_gwh * self.ramp(ph.utilization_ramp, self.fy - ph.commissioning_fy)
            learn = ph.commissioning_fy
            if ph.yield_learning == "continue":
                learn = min(p.commissioning_fy for p in plants[: i + 1])
            ramp = ph.yield_ramp if ph.yield_ramp is not None else a.cells.local.yield_ramp
            usable = usable + started
            good = good + started * self.ramp(ramp, self.fy - learn)
        self.yld = np.where(usable > 0, good / np.where(usable > 0, usable, 1), a.cells.local.yield_ramp[0])
        target = self.y(tr.target_local_share) * np.clip((age + 1) / tr.ramp_years, 0, 1)
        self.local = np.where(age >= 0, np.minimum(target * self.cells_required, good), 0.0)
        self.started = self.local / self.yld
        self.imported = self.cells_required - self.local
        nameplate = self.capacity("cell_plant", ramped=False)
        self.utilization = np.where(nameplate > 0, self.started / np.where(nameplate > 0, nameplate, 1), 0.0)

    def local_by_segment(self) -> None:
        """After the landed costs: local cells by segment by transition.local_cell_allocation."""
        tr, a = self.a.transition, self.a
        need = {s: self.made[s] / a.pack.pack_yield for s in SEGMENTS}
        if tr.local_cell_allocation == "pro_rata":
            share = np.where(self.pack_output > 0, self.local / np.where(self.pack_output > 0, self.pack_output, 1), 0)
            self.local_s = {s: self.made[s] * share for s in SEGMENTS}
            self.imported_s = {s: need[s] - self.local_s[s] for s in SEGMENTS}
            return
        if tr.local_cell_allocation == "order":
            order = [[s] * self.n for s in tr.local_cell_priority]  # same order every year
        else:  # highest score first, ties in listed order (a stable sort on -score)
            keys = np.array([-self.allocation_score(s) for s in SEGMENTS])
            idx = np.argsort(keys, axis=0, kind="stable")
            order = [[SEGMENTS[idx[k, t]] for t in range(self.n)] for k in range(len(SEGMENTS))]
        self.local_s = {s: np.zeros(self.n) for s in SEGMENTS}
        for t in range(self.n):
            left = self.local[t]
            for k in range(len(SEGMENTS)):
                s = order[k][t]
                take = min(max(left, 0.0), need[s][t])
                self.local_s[s][t] = take
                left -= take
        self.imported_s = {s: need[s] - self.local_s[s] for s in SEGMENTS}

    def allocation_score(self, s: str) -> np.ndarray:
        """max_saving: the landed imported cell; max_margin: what a local cell adds to EBITDA in s (README)."""
        if self.a.transition.local_cell_allocation == "max_saving":
            return self.landed[s]
        seg, o = getattr(self.a.demand, s), self.a.opex
        if seg.price_rule != "cost_plus":
            return self.landed[s]
        rho = o.rnd_revenue_share + o.sga_revenue_share + o.warranty_revenue_share
        per_cell = np.where(
            self.local > 0, (self.cell_fixed + self.cell_book_dep) / np.where(self.local > 0, self.local, 1) * 10, 0
        )
        basis = self.local_variable + (per_cell if seg.cost_basis == "full" else 0.0)
        return self.landed[s] + (1 - rho) * (1 + self.y(seg.markup)) * (basis - self.landed[s])

    # --- landed and unit costs ----------------------------------------------------------------------------
    def costs(self) -> None:
        a, fx = self.a, self.fx
        imp = a.cells.imported
        f, s_ = imp.freight_and_insurance_rate, imp.social_welfare_surcharge_rate
        if imp.fob_price_usd_per_kwh is not None:
            ref_fob = self.y(imp.fob_price_usd_per_kwh)
        else:
            lc = imp.fob_learning_curve
            ref_fob = np.maximum(
                lc.floor_usd_per_kwh,
                lc.start_usd_per_kwh * ((1 + lc.cumulative_growth_rate) ** self.t) ** math.log2(1 - lc.learning_rate),
            )
        logistics = self.y(imp.logistics_inr_per_kwh)
        tr, p = a.transition, a.pack
        share = self.y(p.non_cell_local_share)
        self.ref_fob = ref_fob
        self.fob, self.landed, self.pack_fob, self.pack_landed = {}, {}, {}, {}
        self.nc_imp, self.nc_loc, self.nc_cif, self.cell_bcd, self.pack_bcd = {}, {}, {}, {}, {}
        for s in SEGMENTS:
            pr = getattr(a.demand, s).product
            if pr.cell_fob_usd_per_kwh is not None:
                self.fob[s] = self.y(pr.cell_fob_usd_per_kwh)
            else:
                self.fob[s] = ref_fob * (pr.cell_fob_factor if pr.cell_fob_factor is not None else 1.0)
            default_bcd = imp.bcd_rate_ess if s == "ess" else imp.bcd_rate_vehicle
            self.cell_bcd[s] = self.y(pr.cell_bcd_rate if pr.cell_bcd_rate is not None else default_bcd)
            self.landed[s] = self.fob[s] * (1 + f) * fx * (1 + self.cell_bcd[s] * (1 + s_)) + logistics
            bom = self.y(
                pr.non_cell_bom_usd_per_kwh if pr.non_cell_bom_usd_per_kwh is not None else p.non_cell_bom_usd_per_kwh
            )
            self.nc_imp[s] = (1 - share) * bom * fx * (1 + f) * (1 + self.y(p.non_cell_bcd_rate) * (1 + s_))
            self.nc_loc[s] = share * bom * fx * p.non_cell_local_price_factor
            self.nc_cif[s] = (1 - share) * bom * (1 + f)
            if pr.pack_premium_usd_per_kwh is not None:
                self.pack_fob[s] = self.fob[s] + self.y(pr.pack_premium_usd_per_kwh)
            else:
                self.pack_fob[s] = self.y(
                    pr.pack_fob_usd_per_kwh if pr.pack_fob_usd_per_kwh is not None else tr.bought_in_pack_fob_usd_per_kwh
                )
            self.pack_bcd[s] = self.y(pr.pack_bcd_rate if pr.pack_bcd_rate is not None else tr.bought_in_pack_bcd_rate)
            self.pack_landed[s] = self.pack_fob[s] * fx * (1 + f) * (1 + self.pack_bcd[s] * (1 + s_)) + logistics
        # the reporting mix: weights by packs made, else by demand, else equal
        made_total = sum(self.made.values())
        w = {
            s: np.where(
                made_total > 0,
                self.made[s] / np.where(made_total > 0, made_total, 1),
                np.where(
                    self.demand_total > 0, self.demand[s] / np.where(self.demand_total > 0, self.demand_total, 1), 1 / 3
                ),
            )
            for s in SEGMENTS
        }
        self.weight = w
        self.imported_landed = sum(w[s] * self.landed[s] for s in SEGMENTS)
        self.non_cell_imp = sum(w[s] * self.nc_imp[s] for s in SEGMENTS)
        self.bought_landed = sum(w[s] * self.pack_landed[s] for s in SEGMENTS)
        mat_imp = mat_loc = mat_cif_usd = 0.0
        for g in a.cells.local.materials.values():
            world, gshare = self.y(g.world_price_usd_per_kwh), self.y(g.local_share)
            mat_imp = mat_imp + (1 - gshare) * world * fx * (1 + f) * (1 + self.y(g.bcd_rate) * (1 + s_))
            mat_loc = mat_loc + gshare * world * fx * g.local_price_factor
            mat_cif_usd = mat_cif_usd + (1 - gshare) * world * (1 + f)
        loc = a.cells.local
        cum = np.cumsum(self.local)
        ref = loc.conversion_reference_gwh
        lf = (np.maximum(cum, ref) / ref) ** math.log2(1 - loc.conversion_learning_rate)
        self.local_parts = {
            "materials_imported": mat_imp / self.yld,
            "materials_local": mat_loc / self.yld,
            "labour": self.y(loc.labour_inr_per_kwh) * lf / self.yld,
            "energy": self.y(loc.energy_inr_per_kwh) * lf / self.yld,
            "overhead": self.y(loc.overhead_inr_per_kwh) * lf / self.yld,
            "royalty": self.y(loc.royalty_usd_per_kwh) * fx,
        }
        self.local_variable = sum(self.local_parts.values())
        self.material_cif_usd = mat_cif_usd / self.yld
        self.assembly = self.y(p.assembly_inr_per_kwh)

    # --- revenue, cost of goods, EBITDA, localization -----------------------------------------------------
    def operations(self) -> None:
        a, fx = self.a, self.fx
        infl = a.timeline.inflation_rate
        self.fixed_by_phase = {
            ph.name: np.where(self.fy >= ph.commissioning_fy, ph.fixed_opex_inr_cr * (1 + infl) ** self.t, 0.0)
            for ph in a.capex.phases
        }
        self.fixed_opex = sum(self.fixed_by_phase.values())
        self.capex()  # the full cost-plus basis and max_margin need fixed opex and book depreciation by phase
        self.local_by_segment()
        rc = a.recycling
        life = rc.battery_life_years
        returns = rc.end_of_life_return_share * np.concatenate([np.zeros(min(life, self.n)), self.delivered])[: self.n]
        self.recycled = np.minimum(self.capacity("recycling"), self.started - self.local + returns)
        self.var_gi = {
            s: self.imported_s[s] * self.landed[s]
            + self.local_s[s] * self.local_variable
            + self.made[s] * (self.nc_imp[s] + self.nc_loc[s] + self.assembly)
            + self.bought[s] * self.pack_landed[s]
            for s in SEGMENTS
        }
        self.cogs = {
            "imported_cells": sum(self.imported_s[s] * self.landed[s] for s in SEGMENTS) * 0.1,
            **{f"local_cell_{k}": self.local * v * 0.1 for k, v in self.local_parts.items()},
            "recycling_credit": -self.recycled * self.y(rc.credit_usd_per_kwh) * fx * 0.1,
            "non_cell_imported": sum(self.made[s] * self.nc_imp[s] for s in SEGMENTS) * 0.1,
            "non_cell_local": sum(self.made[s] * self.nc_loc[s] for s in SEGMENTS) * 0.1,
            "assembly": self.pack_output * self.assembly * 0.1,
            "bought_in_packs": sum(self.bought[s] * self.pack_landed[s] for s in SEGMENTS) * 0.1,
        }
        self.cogs_total = sum(self.cogs.values())
        self.purchases = sum(
            self.cogs[k]
            for k in (
                "imported_cells",
                "local_cell_materials_imported",
                "local_cell_materials_local",
                "non_cell_imported",
                "non_cell_local",
                "bought_in_packs",
            )
        )
        self.prices()
        self.revenue_by = {s: self.met[s] * self.price[s] * 0.1 for s in SEGMENTS}
        self.revenue = sum(self.revenue_by.values())
        share = {
            s: np.where(self.delivered > 0, self.met[s] / np.where(self.delivered > 0, self.delivered, 1), self.weight[s])
            for s in SEGMENTS
        }
        self.variable = {s: self.var_gi[s] * 0.1 + self.cogs["recycling_credit"] * share[s] for s in SEGMENTS}
        self.contribution = {s: self.revenue_by[s] - self.variable[s] for s in SEGMENTS}
        self.rnd = self.y(a.opex.rnd_inr_cr) + a.opex.rnd_revenue_share * self.revenue
        self.sga = a.opex.sga_revenue_share * self.revenue
        self.warranty = a.opex.warranty_revenue_share * self.revenue
        self.tech_fee_usd = self.y(a.cells.local.technology_fee_usd_m)
        self.tech_fee = self.tech_fee_usd * fx / 10
        self.cell_value = sum(self.local_s[s] * self.landed[s] for s in SEGMENTS) * 0.1
        cell_imported = self.cogs["local_cell_materials_imported"] + self.cogs["local_cell_royalty"]
        self.cell_dva = np.where(
            self.cell_value > 0, 1 - cell_imported / np.where(self.cell_value > 0, self.cell_value, 1), 0.0
        )
        self.pli = self.pli_incentive()
        self.ebitda = (
            self.revenue - self.cogs_total - self.fixed_opex - self.rnd - self.sga - self.warranty - self.tech_fee + self.pli
        )
        self.imported_content = (
            self.cogs["imported_cells"]
            + cell_imported
            + self.cogs["non_cell_imported"]
            + self.cogs["bought_in_packs"]
            + self.tech_fee
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            self.dva = np.where(self.revenue > 0, 1 - self.imported_content / self.revenue, np.nan)

    def prices(self) -> None:
        """README "Prices": each segment's rule."""
        cell_side = self.cell_fixed + self.cell_book_dep
        pack_side = self.fixed_opex - self.cell_fixed + self.book_dep - self.cell_book_dep
        self.price = {}
        for s in SEGMENTS:
            seg = getattr(self.a.demand, s)
            met = np.where(self.met[s] > 0, self.met[s], 1)
            on = self.met[s] > 0
            var = np.where(on, self.var_gi[s] / met, 0)
            made_share = np.where(
                self.pack_output > 0, self.made[s] / np.where(self.pack_output > 0, self.pack_output, 1), 0
            )
            local_share = np.where(self.local > 0, self.local_s[s] / np.where(self.local > 0, self.local, 1), 0)
            full = var + np.where(on, (pack_side * made_share + cell_side * local_share) / met * 10, 0)
            if seg.price_rule == "import_parity":
                self.price[s] = self.pack_landed[s] * (1 + self.y(seg.price_premium))
            elif seg.price_rule == "cost_plus":
                self.price[s] = (full if seg.cost_basis == "full" else var) * (1 + self.y(seg.markup))
            elif seg.price_usd_per_kwh is not None:
                self.price[s] = self.y(seg.price_usd_per_kwh) * self.fx
            else:
                self.price[s] = self.y(seg.price_inr_per_kwh)

    def pli_incentive(self) -> np.ndarray:
        p = self.a.cells.local.pli
        k = self.fy - p.start_fy
        threshold = np.where(
            k >= p.second_dva_threshold_after_years,
            p.second_dva_threshold_share,
            np.where(k >= p.first_dva_threshold_after_years, p.first_dva_threshold_share, 0.0),
        )
        paid = p.enabled & (k >= 0) & (k < p.term_years) & (self.local > 0) & (self.cell_dva >= threshold)
        raw = self.local * p.rate_inr_per_kwh * 0.1 * np.clip(self.cell_dva, 0, 1) * paid
        capped = np.minimum(raw, p.revenue_cap_share * self.cell_value)
        cap = math.inf if p.total_cap_inr_cr is None else p.total_cap_inr_cr
        cum = np.minimum(np.cumsum(capped), cap)
        return np.diff(cum, prepend=0.0)

    # --- capex and depreciation ---------------------------------------------------------------------------
    def capex(self) -> None:
        a, infl = self.a, self.a.timeline.inflation_rate
        self.spend, self.maintenance_by, self.replacement_by = {}, {}, {}
        book = np.zeros(self.n)
        cell_book = np.zeros(self.n)
        blocks: dict[str, tuple[float, np.ndarray, np.ndarray]] = {}
        self.import_spend = np.zeros(self.n)
        # capex price index: I_b = 1 in the base FY, I_t = I_(t-1) x (1 + escalation_t)
        e = self.y(a.capex.escalation_rate)
        b = (a.capex.price_base_fy or self.first) - self.first
        index = np.ones(self.n)
        for t in range(b + 1, self.n):
            index[t] = index[t - 1] * (1 + e[t])
        for t in range(b - 1, -1, -1):
            index[t] = index[t + 1] / (1 + e[t + 1])
        self.index = index
        replace = a.capex.replacement == "replace_at_end_of_life"
        self.replacement_annual = np.zeros(self.n)
        for ph in a.capex.phases:
            prof = ph.spend_profile
            spend = np.zeros(self.n)
            for j, share in enumerate(prof):
                spend += share * ph.capex_inr_cr * (self.fy == ph.commissioning_fy - len(prof) + 1 + j) * index
            nominal = spend.sum()
            age = self.fy - ph.commissioning_fy
            maint = np.where(age >= 1, ph.maintenance_capex_rate * nominal * (1 + infl) ** age, 0.0)
            life = ph.book_life_years
            again = np.where(replace & (age >= life) & (age % life == 0), ph.capex_inr_cr * index, 0.0)
            if replace:
                self.replacement_annual += ph.capex_inr_cr * index / life
            in_service = np.where(age == 0, nominal, 0.0) + maint + again
            self.spend[ph.name], self.maintenance_by[ph.name], self.replacement_by[ph.name] = spend, maint, again
            self.import_spend += (spend + again) * ph.import_share
            dep = np.zeros(self.n)
            for v in range(self.n):  # each amount put in service, straight line from its own year
                span = (self.t >= v) & (self.t < v + ph.book_life_years)
                dep += in_service[v] * (1 - ph.residual_share) / ph.book_life_years * span
            book += dep
            if ph.kind in ("cell_plant", "recycling"):
                cell_book += dep
            half = (age == 0) * nominal * ph.tax_half_rate_first_year
            blocks[ph.name] = (ph.tax_depreciation_rate, in_service, half)
        self.book_dep, self.cell_book_dep = book, cell_book
        self.subsidy_by = self.state_subsidy()
        self.subsidy = sum(self.subsidy_by.values(), np.zeros(self.n))
        reduces = a.incentives.state_capital_subsidy.tax_treatment == "reduces_block"
        self.subsidy_taxable = np.zeros(self.n) if reduces else self.subsidy.copy()
        self.in_service_total = sum((b[1] for b in blocks.values()), np.zeros(self.n))
        self.tax_dep = np.zeros(self.n)
        for name, (rate, added, half) in blocks.items():  # each phase its own block (pooling changes nothing)
            cut = self.subsidy_by.get(name, np.zeros(self.n)) if reduces else np.zeros(self.n)
            block = 0.0
            for t in range(self.n):
                block += added[t]
                applied = min(cut[t], max(block, 0.0))
                self.subsidy_taxable[t] += cut[t] - applied
                block -= applied
                dep = rate * block - rate / 2 * half[t]
                block -= dep
                self.tax_dep[t] += dep
        self.capex_total = sum(self.spend.values())
        self.maintenance = sum(self.maintenance_by.values())
        cells = [ph for ph in a.capex.phases if ph.kind in ("cell_plant", "recycling")]
        self.replacement = sum(self.replacement_by.values(), np.zeros(self.n))
        self.cell_capex = sum(
            (self.spend[p.name] + self.maintenance_by[p.name] + self.replacement_by[p.name] for p in cells), np.zeros(self.n)
        )
        self.cell_fixed = sum((self.fixed_by_phase[p.name] for p in cells), np.zeros(self.n))

    def state_subsidy(self) -> dict[str, np.ndarray]:
        sc = self.a.incentives.state_capital_subsidy
        due: dict[str, np.ndarray] = {}
        if not sc.enabled:
            return due
        for ph in self.a.capex.phases:
            share = ph.subsidy_eligible_share
            if share is None:
                share = 1.0 if ph.kind in sc.eligible_phase_kinds else 0.0
            k = self.fy - ph.commissioning_fy - sc.first_instalment_after_years
            entitlement = sc.share_of_eligible_capex * share * self.spend[ph.name].sum()
            due[ph.name] = np.where((k >= 0) & (k < sc.instalments), entitlement / sc.instalments, 0.0)
        if sc.cap_inr_cr is None:
            return due
        total = sum(due.values(), np.zeros(self.n))
        cum = np.cumsum(total)
        paid = np.minimum(cum, sc.cap_inr_cr) - np.minimum(cum - total, sc.cap_inr_cr)
        factor = np.where(total > 0, paid / np.where(total > 0, total, 1), 0.0)
        return {k: v * factor for k, v in due.items()}

    # --- tax ----------------------------------------------------------------------------------------------
    def tax(self) -> None:
        tx = self.a.tax
        n_carry = tx.loss_carry_forward_years
        before = self.ebitda + self.subsidy_taxable
        self.taxable = before - self.tax_dep
        self.set_off = np.zeros(self.n)
        self.pool = np.zeros(self.n)
        if tx.structure == "within_parent":
            self.tax_paid = tx.corporate_rate * self.taxable
            return
        business = np.maximum(-before, 0.0)
        unabsorbed = self.tax_dep - np.minimum(np.maximum(before, 0.0), self.tax_dep)
        queue: list[list[float]] = []  # business losses: [vintage, amount left], oldest first
        ud_pool = 0.0
        for t in range(self.n):
            left = max(self.taxable[t], 0.0)
            for item in queue:  # brought-forward business losses first
                take = min(item[1], left)
                item[1] -= take
                left -= take
                self.set_off[t] += take
            take = min(ud_pool, left)  # then unabsorbed depreciation
            ud_pool += unabsorbed[t] - take
            self.set_off[t] += take
            if business[t] > 0:
                queue.append([t, business[t]])
            queue = [item for item in queue if item[0] > t - n_carry]  # the rest expires at the end of v+N
            self.pool[t] = sum(item[1] for item in queue) + ud_pool
        self.tax_paid = tx.corporate_rate * np.maximum(self.taxable - self.set_off, 0.0)

    # --- cash flow, value, KPIs ---------------------------------------------------------------------------
    def cash(self) -> None:
        a, d = self.a, 365.0
        wcp = a.working_capital
        self.wc = (
            wcp.receivable_days / d * self.revenue
            + wcp.inventory_days / d * self.cogs_total
            - wcp.payable_days / d * self.purchases
        )
        self.d_wc = np.diff(self.wc, prepend=0.0)
        last = self.t == self.n - 1
        v = a.valuation
        method = v.terminal_value_method
        self.release = self.wc * last if method == "none" else 0 * self.wc
        self.fcf_pre = (
            self.ebitda
            - self.tax_paid
            - self.capex_total
            - self.maintenance
            - self.replacement
            + self.subsidy
            - self.d_wc
            + self.release
        )
        r = a.timeline.discount_rate
        mid = a.timeline.mid_year_discounting
        g = v.terminal_growth_rate
        rate = a.tax.corporate_rate
        taxable = self.ebitda - self.tax_dep
        normal_tax = rate * (taxable if a.tax.structure == "within_parent" else np.maximum(taxable, 0.0))
        self.normalised = self.ebitda - normal_tax - self.maintenance - self.replacement_annual - g / (1 + g) * self.wc
        self.nbv = np.cumsum(self.in_service_total) - np.cumsum(self.book_dep)
        self.salvage = self.nbv + self.wc
        if method == "perpetuity":
            raw = self.normalised[-1] * (1 + g) / (r - g)
        elif method == "ebitda_multiple":
            raw = self.ebitda[-1] * v.terminal_ebitda_multiple
        else:
            raw = 0.0
        floor = {"none": -math.inf, "zero": 0.0, "salvage": self.salvage[-1]}[v.terminal_value_floor]
        self.tv = (max(raw, floor) if method != "none" else 0.0) * last
        self.fcf = self.fcf_pre + self.tv
        self.df = (1 + r) ** -(self.t + (0.5 if mid else 1.0))
        self.df_tv = (1 + r) ** -(self.t + (0.5 if mid and method == "perpetuity" else 1.0))
        self.pv_pre = self.fcf_pre * self.df
        self.pv = self.pv_pre + self.tv * self.df_tv
        self.forex = (
            sum(self.imported_s[s] * self.fob[s] for s in SEGMENTS) * (1 + a.cells.imported.freight_and_insurance_rate)
            + self.local * (self.material_cif_usd + self.y(a.cells.local.royalty_usd_per_kwh))
            + sum(self.made[s] * self.nc_cif[s] for s in SEGMENTS)
            + sum(self.bought[s] * self.pack_fob[s] for s in SEGMENTS) * (1 + a.cells.imported.freight_and_insurance_rate)
            + self.tech_fee_usd
            + self.import_spend * 10 / self.fx
        )

    @staticmethod
    def payback(flow: np.ndarray) -> float:
        cum = np.cumsum(flow)
        negative = np.flatnonzero(cum < 0)
        if negative.size == 0:
            return 0.0
        k = int(negative[-1])
        if k == len(flow) - 1:
            return math.nan
        return k + 1 + (-cum[k]) / flow[k + 1]

    def levelized(self, cost: np.ndarray, gwh: np.ndarray, usd: bool = False) -> float:
        den = float(np.sum(gwh * self.df))
        if den <= 0:
            return math.nan
        return float(np.sum((cost / self.fx if usd else cost) * self.df)) / den * 10

    def kpis(self) -> dict[str, float]:
        a = self.a
        pack_cost = (
            self.cogs_total
            + self.fixed_opex
            + self.rnd
            + self.sga
            + self.warranty
            + self.tech_fee
            + self.capex_total
            + self.maintenance
            + self.replacement
        )
        cell_cost = (
            self.cogs["imported_cells"]
            + sum(self.cogs[f"local_cell_{k}"] for k in self.local_parts)
            + self.cogs["recycling_credit"]
            + self.cell_capex
            + self.cell_fixed
            + self.tech_fee
        )
        cells_used = self.local + self.imported
        cum_pre = np.cumsum(self.fcf_pre)
        r = a.timeline.discount_rate
        fin = a.valuation.mirr_finance_rate if a.valuation.mirr_finance_rate is not None else r
        rei = a.valuation.mirr_reinvestment_rate if a.valuation.mirr_reinvestment_rate is not None else r
        neg = np.sum(np.where(self.fcf < 0, self.fcf, 0) * (1 + fin) ** -self.t)
        pos = np.sum(np.where(self.fcf > 0, self.fcf, 0) * (1 + rei) ** (self.n - 1 - self.t))
        with np.errstate(invalid="ignore", divide="ignore"):
            full = self.local_full()
        with np.errstate(invalid="ignore", divide="ignore"):
            replaced = sum(self.local_s[s] * self.landed[s] for s in SEGMENTS) / self.local
        cheaper = (self.local > 0) & (full <= replaced)
        out = {
            "npv_inr_cr": float(self.pv.sum()),
            "mirr": (pos / -neg) ** (1 / (self.n - 1)) - 1 if neg < 0 < pos else math.nan,
            "payback_years": self.payback(self.fcf_pre),
            "discounted_payback_years": self.payback(self.pv_pre),
            "peak_funding_inr_cr": -min(0.0, float(cum_pre.min())),
            "peak_funding_fy": float(self.fy[np.argmin(cum_pre)]) if cum_pre.min() < 0 else math.nan,
            "total_capex_inr_cr": float(self.capex_total.sum()),
            "maintenance_capex_inr_cr": float(self.maintenance.sum()),
            "state_subsidy_inr_cr": float(self.subsidy.sum()),
            "replacement_capex_inr_cr": float(self.replacement.sum()),
            "terminal_value_pv_inr_cr": float(np.sum(self.tv * self.df_tv)),
            "npv_without_terminal_value_inr_cr": float(np.sum(self.pv_pre))
            + (0.0 if a.valuation.terminal_value_method == "none" else float(self.wc[-1] * self.df[-1])),
            "levelized_pack_cost_inr_per_kwh": self.levelized(pack_cost, self.delivered),
            "levelized_pack_cost_usd_per_kwh": self.levelized(pack_cost, self.delivered, usd=True),
            "levelized_cell_cost_inr_per_kwh": self.levelized(cell_cost, cells_used),
            "levelized_cell_cost_usd_per_kwh": self.levelized(cell_cost, cells_used, usd=True),
            "crossover_fy": float(self.fy[np.argmax(cheaper)]) if cheaper.any() else math.nan,
            "revenue_inr_cr": float(self.revenue.sum()),
            "local_cells_gwh": float(self.local.sum()),
            "forex_outflow_usd_m": float(self.forex.sum()),
        }
        for fy in a.reporting.dva_fys:
            out[f"dva_share_fy{fy % 100:02d}"] = float(self.dva[fy - self.first])
        return out

    def local_full(self) -> np.ndarray:
        made = self.local > 0
        per = np.where(made, 10 / np.where(made, self.local, 1), np.nan)
        return np.where(
            made, self.local_variable + (self.cell_fixed + self.cell_book_dep + self.cogs["recycling_credit"]) * per, np.nan
        )


def _gate_value(doc: Doc, source: str, name: str, t: int) -> float:
    """README "Gates": what a condition reads in year index ``t`` (NaN where the value does not exist)."""
    if source == "input":
        node: Any = doc.a
        for part in name.split("."):
            node = getattr(node, part)
        return float(doc.y(node)[t]) if not isinstance(node, bool | int | float) else float(node)
    if name == "imported_cell_fob_usd_per_kwh":
        return float(doc.ref_fob[t])
    if name == "cell_duty_minus_pack_duty_rate":  # the widest gap over the segments with demand that year
        gaps = [doc.cell_bcd[s][t] - doc.pack_bcd[s][t] for s in SEGMENTS if doc.demand[s][t] > 0]
        return float(max(gaps)) if gaps else math.nan
    if name == "local_cells_gwh":
        return float(doc.local[t])
    if name == "ebitda_inr_cr":
        return float(doc.ebitda[t])
    raise NotImplementedError(f"gate line {name} is not reimplemented here")


def decided(a: tem.Assumptions) -> tem.Assumptions:
    """README "Gates": gates in order of decision year, each reading the run with the earlier decisions applied;
    a phase not built (its gate failed, or it requires a phase not built) has no capex, capacity or fixed opex."""
    data = a.model_dump(mode="json")
    phases = {ph["name"]: ph for ph in data["capex"]["phases"]}
    removed: set[str] = set()
    for ph in sorted((p for p in a.capex.phases if p.gate is not None), key=lambda p: p.gate.decide_fy):  # type: ignore[union-attr]
        gate = ph.gate
        assert gate is not None
        if ph.name in removed or any(r in removed for r in ph.require):
            removed.add(ph.name)  # not reached
            continue
        doc = Doc(tem.Assumptions.model_validate(data), gates=False)
        ok = []
        for cond in gate.when:
            t = (cond.fy or gate.decide_fy) - a.timeline.first_fy
            v = _gate_value(doc, "line" if cond.line else "input", cond.line or cond.input or "", t)
            ops = {">=": v >= cond.threshold, "<=": v <= cond.threshold, ">": v > cond.threshold, "<": v < cond.threshold}
            ok.append(bool(ops[cond.op]) and not math.isnan(v))
        if not (all(ok) if gate.combine == "all" else any(ok)):
            removed.add(ph.name)
        changed = True
        while changed:  # whatever requires a removed phase goes too
            changed = False
            for other in a.capex.phases:
                if other.name not in removed and any(r in removed for r in other.require):
                    removed.add(other.name)
                    changed = True
        for name in removed:
            phases[name].update(capex_inr_cr=0.0, capacity_gwh=0.0, fixed_opex_inr_cr=0.0)
    return tem.Assumptions.model_validate(data)


def counterfactual(a: tem.Assumptions) -> tem.Assumptions:
    """README: the same assumptions, local cells never, dropped phase kinds at zero, no technology fee."""
    data = a.model_dump(mode="json")
    data["transition"]["local_cells_start_fy"] = None
    data["cells"]["local"]["technology_fee_usd_m"] = 0.0
    data["counterfactual"]["import_only"] = False
    for ph in data["capex"]["phases"]:
        if ph["kind"] in a.counterfactual.drop_phase_kinds:
            ph.update(capex_inr_cr=0.0, capacity_gwh=0.0, fixed_opex_inr_cr=0.0, maintenance_capex_rate=0.0)
    return tem.Assumptions.model_validate(data)


def _close(got: Any, want: float, what: str) -> None:
    if want is None or (isinstance(want, float) and math.isnan(want)):
        assert got is None or (isinstance(got, float) and math.isnan(got)), (what, got, want)
    else:
        assert got is not None, (what, want)
        assert math.isclose(got, want, rel_tol=REL, abs_tol=1e-9), (what, got, want)


def _lines(doc: Doc) -> dict[str, np.ndarray]:
    """Statement lines (engine sign convention: money out negative) as the README defines them."""
    out = {
        "demand_total_gwh": doc.demand_total,
        "pack_capacity_gwh": doc.pack_capacity,
        "pack_output_gwh": doc.pack_output,
        "bought_in_packs_gwh": doc.bought_in,
        "cells_required_gwh": doc.cells_required,
        "local_cells_gwh": doc.local,
        "imported_cells_gwh": doc.imported,
        "cell_plant_utilization": doc.utilization,
        "recycled_gwh": doc.recycled,
        "revenue_total": doc.revenue,
        "cogs_total": -doc.cogs_total,
        "fixed_opex": -doc.fixed_opex,
        "rnd": -doc.rnd,
        "technology_fee": -doc.tech_fee,
        "pli_incentive": doc.pli,
        "ebitda": doc.ebitda,
        "book_depreciation": -doc.book_dep,
        "tax_depreciation": -doc.tax_dep,
        "losses_set_off": doc.set_off,
        "loss_pool_end": doc.pool,
        "tax": -doc.tax_paid,
        "maintenance_capex": -doc.maintenance,
        "replacement_capex": -doc.replacement,
        "capital_cost_index": doc.index,
        "state_capital_subsidy": doc.subsidy,
        "state_subsidy_taxable": doc.subsidy_taxable,
        "working_capital": doc.wc,
        "terminal_value": doc.tv,
        "normalised_free_cash_flow": doc.normalised,
        "net_book_value": doc.nbv,
        "salvage_value": doc.salvage,
        "free_cash_flow_before_terminal_value": doc.fcf_pre,
        "free_cash_flow": doc.fcf,
        "discount_factor": doc.df,
        "terminal_value_discount_factor": doc.df_tv,
        "present_value": doc.pv,
        "dva_share": doc.dva,
        "cell_dva_share": doc.cell_dva,
        "forex_outflow_usd_m": doc.forex,
    }
    out |= {f"cogs_{k}": -v for k, v in doc.cogs.items()}
    out |= {f"revenue_{s}": v for s, v in doc.revenue_by.items()}
    out |= {f"price_{s}_inr_per_kwh": v for s, v in doc.price.items()}
    out |= {f"variable_cost_{s}": -v for s, v in doc.variable.items()}
    out |= {f"contribution_margin_{s}": v for s, v in doc.contribution.items()}
    out |= {f"capex_{k}": -v for k, v in doc.spend.items()}
    return out


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_line_and_kpi_from_the_readme(path: Path) -> None:
    a = tem.load(path)
    r = tem.run(a)
    doc = Doc(a)
    s = r.statement
    for key, want in _lines(doc).items():
        got = s.loc[key, r.fiscal_years].to_numpy(float)
        np.testing.assert_allclose(got, np.broadcast_to(want, got.shape), rtol=REL, atol=1e-9, err_msg=key)
    uc = r.unit_costs
    fys = r.fiscal_years
    np.testing.assert_allclose(
        uc.loc["imported_cell_landed_inr_per_kwh", fys].to_numpy(float), doc.imported_landed, rtol=REL
    )
    np.testing.assert_allclose(uc.loc["pack_non_cell_imported_inr_per_kwh", fys].to_numpy(float), doc.non_cell_imp, rtol=REL)
    np.testing.assert_allclose(uc.loc["bought_in_pack_landed_inr_per_kwh", fys].to_numpy(float), doc.bought_landed, rtol=REL)
    with np.errstate(invalid="ignore", divide="ignore"):
        full = doc.local_full()
    np.testing.assert_allclose(uc.loc["local_cell_full_inr_per_kwh", fys].to_numpy(float), full, rtol=REL)
    kpis = r.kpis
    want = doc.kpis()
    for key, value in want.items():
        if key.startswith("dva_share_fy"):
            got = kpis["dva_share_by_fy"]["FY" + key.removeprefix("dva_share_fy")]
        else:
            got = kpis[key]
        _close(None if got is None else float(got), value, key)
    # IRR: the rate at which sum FCF_t / (1 + IRR)^t is zero
    if kpis["irr"] is not None:
        at_irr = np.sum(doc.fcf / (1 + kpis["irr"]) ** doc.t)
        assert abs(at_irr) <= 1e-9 * np.abs(doc.fcf).sum()
    cf = Doc(counterfactual(a))
    _close(kpis["npv_import_only_inr_cr"], cf.kpis()["npv_inr_cr"], "npv_import_only_inr_cr")
    _close(kpis["incremental_npv_vs_import_inr_cr"], want["npv_inr_cr"] - cf.kpis()["npv_inr_cr"], "incremental npv")
    _close(
        kpis["incremental_levelized_pack_cost_inr_per_kwh"],
        want["levelized_pack_cost_inr_per_kwh"] - cf.kpis()["levelized_pack_cost_inr_per_kwh"],
        "incremental levelized",
    )
    _close(
        kpis["cumulative_forex_saved_usd_m"], cf.kpis()["forex_outflow_usd_m"] - want["forex_outflow_usd_m"], "forex saved"
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {"cells.local.pli.enabled": True},
        {  # issue 11: price rules, segment products, allocation, per-plant yields
            "demand.captive.markup": 0.12,
            "demand.captive.cost_basis": "full",
            "demand.external_oem.price_rule": "path",
            "demand.external_oem.price_inr_per_kwh": 7000.0,
            "demand.ess.product.pack_premium_usd_per_kwh": None,
            "demand.ess.product.pack_fob_usd_per_kwh": 60.0,
            "demand.ess.product.cell_fob_usd_per_kwh": 40.0,
            "demand.ess.product.cell_fob_factor": None,
            "demand.ess.product.non_cell_bom_usd_per_kwh": 10.0,
            "demand.ess.product.pack_bcd_rate": 0.2,
            "capex.phases.pack_line_2.capacity_gwh": 2.0,
            "transition.pack_priority": ["ess", "captive", "external_oem"],
            "transition.local_cell_allocation": "order",
            "transition.local_cell_priority": ["external_oem", "ess", "captive"],
            "capex.phases.cell_plant_1.yield_ramp": [0.6, 0.8, 0.9],
            "capex.phases.cell_plant_2.yield_learning": "continue",
        },
        {"transition.pack_allocation": "pro_rata", "transition.local_cell_allocation": "pro_rata"},
        {  # max_margin with a full-cost basis, a markup path and R&D linked to revenue in the score
            "transition.local_cell_allocation": "max_margin",
            "demand.captive.cost_basis": "full",
            "demand.captive.markup": {"FY26": 0.05, "FY35": 0.2, "interpolation": "linear"},
            "demand.ess.price_rule": "cost_plus",
            "demand.ess.markup": 0.1,
            "opex.rnd_revenue_share": 0.02,
        },
        {"cells.local.pli.enabled": True, "cells.local.pli.total_cap_inr_cr": 300.0, "cells.local.pli.start_fy": 2031},
        {"valuation.terminal_value_method": "perpetuity", "valuation.terminal_growth_rate": 0.03},
        {"valuation.terminal_value_floor": "zero", "valuation.terminal_ebitda_multiple": 30.0},
        {"valuation.terminal_value_floor": "none", "valuation.terminal_ebitda_multiple": 2.0},
        {
            "valuation.terminal_value_method": "perpetuity",
            "valuation.terminal_value_floor": "none",
            "demand.ess.price_premium": 0.25,
            "tax.structure": "within_parent",
        },
        {"valuation.terminal_value_method": "perpetuity", "timeline.mid_year_discounting": True},
        {"valuation.terminal_value_method": "ebitda_multiple", "valuation.terminal_ebitda_multiple": 8.0},
        {"timeline.mid_year_discounting": True, "tax.loss_carry_forward_years": 2},
        {"transition.overflow_policy": "unmet", "valuation.mirr_finance_rate": 0.09},
        {"tax.structure": "within_parent"},
        {"cells.local.pli.enabled": True, "tax.loss_carry_forward_years": 3, "demand.ess.price_premium": 0.2},
        {
            "capex.phases.cell_plant_1.tax_half_rate_first_year": True,
            "capex.phases.pack_line_1.tax_half_rate_first_year": True,
        },
        {"incentives.state_capital_subsidy.enabled": False},
        {"capex.escalation_rate": {"start": 0.05, "growth": -0.1}, "capex.price_base_fy": 2030},
        {
            "capex.replacement": "replace_at_end_of_life",
            "valuation.terminal_value_method": "perpetuity",
            "capex.phases.pack_line_1.book_life_years": 6,
            "capex.phases.pack_line_1.tax_half_rate_first_year": True,
        },
        {
            "incentives.state_capital_subsidy.cap_inr_cr": 400.0,
            "incentives.state_capital_subsidy.tax_treatment": "taxable",
            "incentives.state_capital_subsidy.first_instalment_after_years": 0,
            "capex.phases.rnd_centre.subsidy_eligible_share": 0.5,
        },
        {
            "incentives.state_capital_subsidy.share_of_eligible_capex": 0.9,
            "incentives.state_capital_subsidy.instalments": 2,
            "capex.phases.pack_line_1.tax_depreciation_rate": 0.6,
            "demand.external_oem.price_premium": 0.35,
        },
    ],
    ids=[
        "pli",
        "rules_products_allocation_plant_yields",
        "max_margin_full_cost_markup_path",
        "pro_rata",
        "pli_capped",
        "perpetuity",
        "multiple_zero_floor",
        "multiple_no_floor",
        "perpetuity_no_floor_within_parent",
        "perpetuity_mid_year",
        "multiple",
        "mid_year_short_carry",
        "unmet_mirr",
        "within_parent",
        "profitable_short_carry",
        "half_rate",
        "no_state_subsidy",
        "capex_escalated_from_fy30",
        "replacement_perpetuity",
        "subsidy_capped_taxable",
        "subsidy_above_the_block",
    ],
)
def test_options_from_the_readme(overrides: dict[str, Any]) -> None:
    a = tem.load(FILES[0], overrides=overrides)
    r = tem.run(a)
    doc = Doc(a)
    for key, want in _lines(doc).items():
        got = r.statement.loc[key, r.fiscal_years].to_numpy(float)
        np.testing.assert_allclose(got, want, rtol=REL, atol=1e-9, err_msg=key)
    for key, value in doc.kpis().items():
        if not key.startswith("dva_share_fy"):
            got = r.kpis[key]
            _close(None if got is None else float(got), value, key)
    if overrides.get("cells.local.pli.enabled"):
        assert doc.pli.sum() > 0
