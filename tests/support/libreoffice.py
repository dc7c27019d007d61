"""Recalculate xlsx files with LibreOffice headless and read the values back (the reference spreadsheet engine).

Recipe from ../shared/research/tooling.md: a dedicated profile that always recalculates on load; several files
per call amortize start-up; values come back through openpyxl with data_only=True.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REGISTRY = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
 <prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
 <prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def require_soffice() -> str:
    """The soffice path; skips the test when missing, or fails when TEM_REQUIRE_LIBREOFFICE=1 (CI)."""
    exe = soffice()
    if exe is None:
        msg = "LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui"
        if os.environ.get("TEM_REQUIRE_LIBREOFFICE") == "1":
            pytest.fail(msg)
        pytest.skip(msg)
    return exe


def recalculate(files: list[Path], out_dir: Path, profile_dir: Path, to: str = "xlsx") -> list[Path]:
    """Recalculate ``files`` into ``out_dir`` (same names; ``to="pdf"``: printed to PDF with each sheet's print
    settings); returns the paths written."""
    exe = require_soffice()
    user = profile_dir / "user"
    user.mkdir(parents=True, exist_ok=True)
    (user / "registrymodifications.xcu").write_text(REGISTRY)
    out_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "HOME": str(profile_dir)}
    cmd = [
        exe,
        f"-env:UserInstallation=file://{profile_dir}",
        "--headless",
        "--norestore",
        "--convert-to",
        to,
        "--outdir",
        str(out_dir),
        *map(str, files),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env, check=False)
    outs = [out_dir / f.with_suffix("." + to).name for f in files]
    missing = [o for o in outs if not o.exists()]
    if proc.returncode != 0 or missing:
        raise RuntimeError(f"LibreOffice failed ({proc.returncode}): {proc.stderr[-2000:]} missing={missing}")
    return outs
