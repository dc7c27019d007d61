"""State capital subsidy [INR crore/yr], ``(S, T)``: a share of each phase's eligible fixed capital, paid in yearly
instalments after commissioning, optionally capped in total (base: Tamil Nadu EV Policy 2023, README).

* Entitlement of a phase = ``share_of_eligible_capex x eligible share of the phase x its capex spent`` (its
  nominal spend over the horizon). The eligible share is the phase's ``subsidy_eligible_share``, or, when unset, 1
  for the ``eligible_phase_kinds`` and 0 for the others (set so in :func:`tem.model.inputs.build_inputs`).
* Paid in ``instalments`` equal yearly amounts, the first ``first_instalment_after_years`` after the
  commissioning year (0: in the commissioning year); instalments after the horizon are not counted.
* ``cap_inr_cr`` caps the total paid: payments stop when the cumulative amount reaches it
  (``paid_t = min(C_t, cap) - min(C_(t-1), cap)`` on the uncapped cumulative ``C``); each phase's share of a
  year's payment is its share of that year's uncapped amount.
* Tax (``tax_treatment``): ``reduces_block`` (Explanation 10 to s.43(1) of the Income-tax Act: the subsidy is
  not part of the asset's actual cost) lowers the phase's written-down-value block in the year received, and the
  part of an instalment above what is left of the block is taxed when received; ``taxable``: every instalment
  is taxable income when received, and the block keeps the full cost.
"""

from __future__ import annotations

import numpy as np

from tem.arrays import cumsum_years, is_exact_zero
from tem.model.inputs import Inputs

ELIGIBLE = "incentives.state_capital_subsidy."


def subsidy_schedule(inp: Inputs, spend_by_phase: dict[str, np.ndarray], fy: np.ndarray) -> dict[str, np.ndarray]:
    """Subsidy paid by phase [INR crore/yr] (empty when disabled): ``{phase: (S|1, T)}``."""
    p = ELIGIBLE
    enabled = inp[p + "enabled"]
    if is_exact_zero(enabled):
        return {}
    n_inst = inp[p + "instalments"]
    lag = inp[p + "first_instalment_after_years"]
    rate = inp[p + "share_of_eligible_capex"] * enabled
    uncapped: dict[str, np.ndarray] = {}
    for ph in inp.structure.phases:
        share = inp[f"capex.phases.{ph.name}.subsidy_eligible_share"]  # set from the kinds when not given
        if is_exact_zero(share):
            continue
        spend = spend_by_phase[ph.name]
        entitlement = rate * share * spend.sum(axis=1, keepdims=True)
        k = fy - inp[f"capex.phases.{ph.name}.commissioning_fy"] - lag
        uncapped[ph.name] = np.where((k >= 0) & (k < n_inst), entitlement / n_inst, 0.0)
    if not uncapped:
        return {}
    cap = inp.arrays.get(p + "cap_inr_cr")
    if cap is None:
        return uncapped
    total = sum(uncapped.values(), start=np.zeros((1, fy.shape[1])))
    cum = cumsum_years(total)
    paid = np.minimum(cum, cap) - np.minimum(cum - total, cap)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(total > 0, paid / total, 0.0)
    return {k: v * factor for k, v in uncapped.items()}
