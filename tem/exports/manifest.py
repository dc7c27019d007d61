"""Provenance of a run: which files and overrides, which resolved assumptions, which code and packages.

``build_manifest`` gathers everything needed to reproduce or audit one scenario's outputs; ``resolved_yaml``
writes the fully resolved assumption set (after ``extends`` and ``--set``) as a YAML file that ``tem.load``
reads back to the same numbers. Both are plain data (JSON- and YAML-serialisable); nothing here runs the model.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import math
import platform
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

import tem
from tem.assumptions.schema import Assumptions
from tem.model.results import Result

KEY_PACKAGES = ("numpy", "pandas", "pydantic", "numpy-financial", "openpyxl", "plotly", "scipy", "pyyaml")
GIT_TIMEOUT_S = 5.0
PACKAGE_DIR = Path(tem.__file__).resolve().parent


def jsonable(x: Any) -> Any:
    """``x`` with NaN/infinity as None, tuples as lists, and anything JSON cannot hold (dates...) as text."""
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if x is None or isinstance(x, (bool, int, str)):
        return x
    if isinstance(x, Mapping):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    return str(x)


def _git(*args: str) -> str | None:
    try:
        proc = subprocess.run(
            ["git", *args], cwd=PACKAGE_DIR, capture_output=True, text=True, timeout=GIT_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.SubprocessError):  # no git, timeout
        return None
    return proc.stdout if proc.returncode == 0 else None


def git_state() -> dict[str, Any]:
    """``{"commit": sha or None, "dirty": bool or None}`` of the repository holding the ``tem`` package.

    None when git is missing, slow, or the package is not tracked by a repository (an installed copy inside a
    virtual environment under some repository does not count).
    """
    head = _git("rev-parse", "HEAD")
    if head is None or _git("ls-files", "--error-unmatch", "--", "__init__.py") is None:
        return {"commit": None, "dirty": None}
    status = _git("--no-optional-locks", "status", "--porcelain")  # never takes the index lock
    return {"commit": head.strip() or None, "dirty": None if status is None else bool(status.strip())}


def package_versions(names: tuple[str, ...] = KEY_PACKAGES) -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def build_manifest(assumptions: Assumptions, result: Result, *, created: dt.datetime | None = None) -> dict[str, Any]:
    """Provenance of one scenario's run (JSON-serialisable).

    Keys: ``scenario``; ``assumption_files`` (path and SHA-256, base file first); ``overrides`` (dotted path ->
    value, as given with ``--set`` or ``overrides=``); ``resolved_assumptions`` (every input that ran);
    ``tem_version``; ``git_commit`` and ``git_dirty`` (uncommitted changes; both None outside a repository);
    ``python``; ``packages`` (None when not installed); ``timestamp`` (UTC, ISO 8601, e.g.
    ``2026-04-01T09:30:00Z``); ``seed`` (None: no random draws yet).
    """
    return {
        "scenario": result.name,
        "assumption_files": [{"path": path, "sha256": sha} for path, sha in assumptions.sources],
        "overrides": jsonable(assumptions.overrides),
        "resolved_assumptions": jsonable(assumptions.model_dump(mode="json")),
        **runtime_provenance(created),
        "seed": None,
    }


def runtime_provenance(created: dt.datetime | None = None) -> dict[str, Any]:
    """What ran: tem version, git commit and dirty flag, Python and package versions, UTC timestamp."""
    when = (created or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    git = git_state()
    return {
        "tem_version": tem.__version__,
        "git_commit": git["commit"],
        "git_dirty": git["dirty"],
        "python": platform.python_version(),
        "packages": package_versions(),
        "timestamp": when.isoformat(timespec="seconds").replace("+00:00", "Z"),
    }


def provenance_summary(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The short provenance block of ``kpis.json``: files and hashes, overrides, version, commit, time."""
    return {
        "tem_version": manifest["tem_version"],
        "assumption_files": manifest["assumption_files"],
        "overrides": manifest["overrides"],
        "git_commit": manifest["git_commit"],
        "git_dirty": manifest["git_dirty"],
        "timestamp": manifest["timestamp"],
    }


def with_outputs(manifest: Mapping[str, Any], files: Mapping[str, bytes | str]) -> dict[str, Any]:
    """A copy of ``manifest`` listing each output file of the run with its SHA-256 (``outputs``)."""
    digests = {
        name: hashlib.sha256(content.encode("utf-8") if isinstance(content, str) else content).hexdigest()
        for name, content in files.items()
    }
    return {**manifest, "outputs": digests}


def resolved_yaml(assumptions: Assumptions) -> str:
    """The resolved assumption set as YAML (``tem.load`` reads it back to the same run), with a header."""
    lines = [
        "# Generated by tem: do not edit. The fully resolved assumptions of this run (extends merged, overrides",
        "# applied, defaults filled in); `tem run resolved.yaml` reproduces it.",
        f"# tem {tem.__version__}, scenario {assumptions.name!r}, made from:",
    ]
    lines += [f"#   {_flat(path)} (sha256 {sha})" for path, sha in assumptions.sources] or ["#   (no file)"]
    for dotted, value in assumptions.overrides.items():
        lines.append(f"#   override {_flat(dotted)} = {_one_line(value)}")
    body = yaml.safe_dump(jsonable(assumptions.model_dump(mode="json")), sort_keys=False, allow_unicode=True, width=120)
    return "\n".join(lines) + "\n" + body


def _flat(text: str) -> str:
    """``text`` on one line, so that it stays inside a YAML comment."""
    return " ".join(str(text).splitlines())


def _one_line(value: Any) -> str:
    text = yaml.safe_dump(jsonable(value), default_flow_style=True, width=10_000).strip()
    return _flat(text.removesuffix("...").strip())
