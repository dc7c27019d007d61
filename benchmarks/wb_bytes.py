"""Check that this tree writes the same workbooks as another one (default /work/main): every zip entry, byte for byte.

``python benchmarks/wb_bytes.py`` renders, in one subprocess per tree (``PYTHONPATH`` set to that tree), the run
workbook of ``assumptions/base.yaml`` and of every file under ``assumptions/scenarios/`` (the same call as
``tem run``: :func:`tem.exports.workbook.build.render_workbook` with the run's manifest and board summary), and
with ``--cli`` also the workbooks of ``tem sweep`` and ``tem montecarlo --n 2000`` of the base case (through the
command line). It then unzips each pair and compares every entry's bytes, printing each difference; exit code 1
if any.

What differs from run to run by design is fixed or masked, nothing else: the zip's timestamps (entries are
compared, not the archives); the run manifest's ``timestamp`` and ``git_commit`` (set to fixed values before
rendering); and, in ``docProps/core.xml`` and the command-line workbooks, ISO 8601 date-times and 40-digit git
commits (replaced by a placeholder).

``python benchmarks/wb_bytes.py A.xlsx B.xlsx`` compares two files only.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).parents[1]
FIXED = {"timestamp": "2000-01-01T00:00:00Z", "git_commit": "0" * 40, "git_dirty": False}
_VOLATILE = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?|\b[0-9a-f]{40}\b")


def assumption_files(root: Path) -> list[Path]:
    """base.yaml and every scenario file, relative to ``root``."""
    scenarios = sorted((root / "assumptions" / "scenarios").glob("*.yaml"))
    return [Path("assumptions/base.yaml")] + [p.relative_to(root) for p in scenarios]


def render_all(out: Path, files: list[Path]) -> None:
    """(In the tree on ``sys.path``.) Each file's run workbook as ``out/<stem>.xlsx``, rendered as ``tem run`` does."""
    import tem
    from tem.analysis.summary import board_summary
    from tem.exports.manifest import build_manifest
    from tem.exports.workbook.build import render_workbook

    for path in files:
        a = tem.load(path)
        result = tem.run(a)
        manifest = build_manifest(a, result) | FIXED
        data = render_workbook(result, a, manifest, board_summary(a, result))
        (out / f"{path.stem}.xlsx").write_bytes(data)


def entries(path: Path, mask: bool) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        out = {name: z.read(name) for name in z.namelist()}
    for name in out:
        if mask or name == "docProps/core.xml":
            out[name] = _VOLATILE.sub(b"<volatile>", out[name])
    return out


def compare(a: Path, b: Path, mask: bool = False) -> list[str]:
    """Every difference between the entries of two .xlsx files (names, order, bytes), as lines to print."""
    ea, eb = entries(a, mask), entries(b, mask)
    problems = []
    if list(ea) != list(eb):
        problems.append(f"{a.name}: entry lists differ: {sorted(set(ea) ^ set(eb))} (or their order)")
    for name in ea.keys() & eb.keys():
        x, y = ea[name], eb[name]
        if x != y:
            i = next((k for k in range(min(len(x), len(y))) if x[k] != y[k]), min(len(x), len(y)))
            problems.append(
                f"{a.name}:{name}: differs at byte {i} (sizes {len(x)}, {len(y)}):\n"
                f"  {x[max(0, i - 80) : i + 80]!r}\n  {y[max(0, i - 80) : i + 80]!r}"
            )
    return problems


def _env(tree: Path) -> dict[str, str]:
    return os.environ | {"PYTHONPATH": str(tree), "TEM_NO_FORK": "1"}


def _render_tree(tree: Path, out: Path, quick: bool = False) -> None:
    files = [str(ROOT / p) for p in assumption_files(ROOT)][: 1 if quick else None]
    code = (
        "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); import wb_bytes, tem; "
        f"assert tem.__file__.startswith({str(tree) + '/'!r}), tem.__file__; "
        "wb_bytes.render_all(Path(sys.argv[2]), [Path(f) for f in sys.argv[3:]])"
    )
    cmd = [sys.executable, "-c", code, str(Path(__file__).parent), str(out), *files]
    subprocess.run(cmd, cwd=tree, env=_env(tree), check=True)  # cwd: first on sys.path


def _cli_tree(tree: Path, out: Path) -> dict[str, Path]:
    """The sweep and Monte Carlo workbooks of the base case, through ``tem``'s command line."""
    base, specs = str(ROOT / "assumptions" / "base.yaml"), ROOT / "assumptions"  # the same paths for both trees
    runs = {
        "sweep": ["sweep", base, "--spec", str(specs / "sweeps" / "tornado.yaml"), "--quiet", "--out", str(out)],
        "montecarlo": [
            *("montecarlo", base, "--spec", str(specs / "montecarlo.yaml")),
            *("--n", "2000", "--quiet", "--no-png", "--out", str(out)),
        ],
    }
    for args in runs.values():  # cwd: first on sys.path
        subprocess.run([sys.executable, "-m", "tem", *args], cwd=tree, env=_env(tree), check=True, capture_output=True)
    return {name: path for name in runs for path in out.rglob(f"{name}/*.xlsx")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="*", type=Path, help="two .xlsx files to compare (else: render both trees)")
    parser.add_argument("--base", type=Path, default=Path("/work/main"), help="the reference tree (default /work/main)")
    parser.add_argument("--cli", action="store_true", help="also the sweep and Monte Carlo workbooks")
    parser.add_argument("--quick", action="store_true", help="the base case's run workbook only")
    args = parser.parse_args()
    if args.files:
        if len(args.files) != 2:
            parser.error("give two .xlsx files, or none")
        problems = compare(*args.files)
        print("\n".join(problems) or "same content")
        return 1 if problems else 0
    tmp = Path(tempfile.mkdtemp(prefix="wb-bytes-"))
    trees = {"base": args.base.resolve(), "this": ROOT}
    for name in trees:
        (tmp / name).mkdir()
    with ThreadPoolExecutor(2) as pool:  # the two trees side by side (two processes)
        list(pool.map(lambda name: _render_tree(trees[name], tmp / name, args.quick), trees))
    problems: list[str] = []
    names = sorted(p.name for p in (tmp / "base").glob("*.xlsx"))
    for name in names:
        problems += compare(tmp / "base" / name, tmp / "this" / name)
    checked = len(names)
    if args.cli:
        with ThreadPoolExecutor(2) as pool:
            found = list(pool.map(lambda name: _cli_tree(trees[name], tmp / f"{name}-cli"), trees))
        for kind, path in found[0].items():
            problems += compare(path, found[1][kind], mask=True)
            checked += 1
    print("\n".join(problems) if problems else f"{checked} workbooks: every entry the same ({tmp})")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
