"""Provenance of a Monte Carlo run (its manifest.json)."""

from __future__ import annotations

import datetime as dt
import platform
from typing import Any

import tem
from tem.analysis.montecarlo.run import MonteCarloResult
from tem.exports.manifest import KEY_PACKAGES, git_state, jsonable, package_versions


def build_montecarlo_manifest(result: MonteCarloResult, *, created: dt.datetime | None = None) -> dict[str, Any]:
    """Provenance of a Monte Carlo run, in the shape of :func:`tem.exports.manifest.build_manifest` plus the spec
    file and its SHA-256, the spec as run, seed, N, sampling and any correlation repair."""
    when = (created or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    git = git_state()
    prov = result.provenance
    return jsonable(
        {
            "scenario": result.scenario,
            "analysis": "montecarlo",
            "assumption_files": prov.get("assumption_files", []),
            "overrides": prov.get("overrides", {}),
            "spec_file": prov.get("spec_file"),
            "spec": result.spec.model_dump(mode="json"),
            "seed": result.seed,
            "n": result.n,
            "sampling": result.sampling,
            "sobol_n_base": None if result.sobol is None else result.sobol.n_base,
            "correlation_repair": None if result.correlation_repair is None else result.correlation_repair.describe(),
            "tem_version": tem.__version__,
            "git_commit": git["commit"],
            "git_dirty": git["dirty"],
            "python": platform.python_version(),
            "packages": package_versions((*KEY_PACKAGES, "SALib")),
            "timestamp": when.isoformat(timespec="seconds").replace("+00:00", "Z"),
        }
    )
