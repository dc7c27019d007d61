"""Unit conversions, each a one-line formula with its factor named (DESIGN.md section 2).

1 crore = 1e7 INR. 1 GWh = 1e6 kWh. Hence 1 GWh x 1 INR/kWh = 1e6 INR = 0.1 INR crore, and
1 GWh x 1 USD/kWh = 1e6 USD = 1 USD million.
"""

from __future__ import annotations

import numpy as np

INR_PER_CRORE = 1.0e7
KWH_PER_GWH = 1.0e6
USD_PER_MILLION = 1.0e6
INR_CR_PER_GWH_X_INR_PER_KWH = KWH_PER_GWH / INR_PER_CRORE  # 0.1


def usd_to_inr(usd: np.ndarray | float, inr_per_usd: np.ndarray | float) -> np.ndarray:
    """[USD] x [INR/USD] -> [INR] (works per kWh too)."""
    return np.asarray(usd) * inr_per_usd


def inr_to_usd(inr: np.ndarray | float, inr_per_usd: np.ndarray | float) -> np.ndarray:
    return np.asarray(inr) / inr_per_usd


def gwh_x_inr_per_kwh_to_inr_cr(volume_gwh: np.ndarray | float, price_inr_per_kwh: np.ndarray | float) -> np.ndarray:
    """[GWh] x [INR/kWh] -> [INR crore]: x 0.1."""
    return np.asarray(volume_gwh) * price_inr_per_kwh * INR_CR_PER_GWH_X_INR_PER_KWH


def inr_cr_per_gwh_to_inr_per_kwh(inr_cr: np.ndarray | float, volume_gwh: np.ndarray | float) -> np.ndarray:
    """[INR crore] / [GWh] -> [INR/kWh]: x 10 (inverse of the above)."""
    return np.asarray(inr_cr) / volume_gwh / INR_CR_PER_GWH_X_INR_PER_KWH


def gwh_x_usd_per_kwh_to_usd_m(volume_gwh: np.ndarray | float, price_usd_per_kwh: np.ndarray | float) -> np.ndarray:
    """[GWh] x [USD/kWh] -> [USD million]: x 1."""
    return np.asarray(volume_gwh) * price_usd_per_kwh * (KWH_PER_GWH / USD_PER_MILLION)


def inr_cr_to_usd_m(inr_cr: np.ndarray | float, inr_per_usd: np.ndarray | float) -> np.ndarray:
    """[INR crore] -> [USD million]: x 1e7 / fx / 1e6 = x 10 / fx."""
    return np.asarray(inr_cr) * INR_PER_CRORE / USD_PER_MILLION / inr_per_usd


def usd_m_to_inr_cr(usd_m: np.ndarray | float, inr_per_usd: np.ndarray | float) -> np.ndarray:
    """[USD million] -> [INR crore]: x fx / 10."""
    return np.asarray(usd_m) * USD_PER_MILLION * inr_per_usd / INR_PER_CRORE


def units_kwh_to_gwh(units: np.ndarray | float, kwh_per_unit: np.ndarray | float) -> np.ndarray:
    """[units] x [kWh/unit] -> [GWh]: / 1e6."""
    return np.asarray(units) * kwh_per_unit / KWH_PER_GWH
