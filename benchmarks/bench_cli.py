"""What a user waits for at the command line (run on demand: ``python benchmarks/bench_cli.py [--runs N]``);
writes benchmarks/RESULTS_cli.md. Issue 15, targets 1-3:

1. ``tem --help``, ``tem --version``, ``tem validate FILE``: <= 0.35 s wall;
2. ``tem run`` of the base case with every output: <= 3 s; with ``--no-png``: <= 1.2 s;
3. ``tem montecarlo --n 100000`` with every output: <= 4 s.

With ``--against TREE`` (another checkout of tem, e.g. ``git worktree add /tmp/before <commit>``) each command is
also timed with that tree, right after, and the ratio is reported: the honest comparison on a shared machine.
With ``--only TEXT`` only the commands whose line contains TEXT (e.g. ``montecarlo``) are timed, and only their
rows of RESULTS_cli.md are replaced, with a note giving that run's time, load, calibration and before-tree (the
other rows keep theirs).

Each command is a fresh process (``python -m tem`` with this interpreter, no shell or pyenv shim in front), timed
by hyperfine when installed (else a loop of subprocesses): median and range of wall time over the runs after a
warm-up, and the mean CPU time (user + system) of the process, which load on a shared machine inflates less.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))

from benchmarks.common import PYTHON, calibration, command_times, header, spread


def main(runs: int, against: Path | None, only: str | None = None) -> None:
    cal = calibration()
    out = Path(tempfile.mkdtemp(prefix="tem-bench-cli-"))
    clean = f"rm -rf {out}/*"
    tem = [PYTHON, "-m", "tem"]
    measures = [
        ("`tem --help`", [*tem, "--help"], 0.35, None),
        ("`tem --version`", [*tem, "--version"], 0.35, None),
        ("`tem validate assumptions/base.yaml`", [*tem, "validate", "assumptions/base.yaml"], 0.35, None),
        (
            "`tem run` (base, every output: workbook, CSVs, HTML and PNG charts, report)",
            [*tem, "run", "--out", str(out)],
            3.0,
            clean,
        ),
        ("`tem run --no-png`", [*tem, "run", "--no-png", "--out", str(out)], 1.2, clean),
        (
            "`tem montecarlo --n 100000` (every output: workbook, Parquet, CSVs, charts, 6 PNGs)",
            [*tem, "montecarlo", "--n", "100000", "--quiet", "--out", str(out)],
            4.0,
            clean,
        ),
        (
            "`tem montecarlo --n 100000 --samples-csv` (also every scenario as CSV)",
            [*tem, "montecarlo", "--n", "100000", "--quiet", "--samples-csv", "--out", str(out)],
            None,
            clean,
        ),
    ]
    if only is not None:
        measures = [m for m in measures if only in m[0]]
        if not measures:
            raise SystemExit(f"--only {only!r}: no command line contains it")
    rows = []
    tool = "hyperfine" if shutil.which("hyperfine") else "subprocess loop"  # as benchmarks.common.command_times
    # the header now: its load average is the one at the start of the run
    lines = header(
        "Command-line benchmark",
        cal,
        f"Each command in a fresh process (`{Path(PYTHON).name} -m tem ...`), timed by {tool}: wall-clock median "
        f"(range, runs) after a warm-up, and the process's mean CPU time (user + system).",
    )
    before_args = {"--version": "version", "--samples-csv": None}  # the old tree: `tem version`, CSV always written
    for label, args, target, prepare in measures:
        old = None if against is None else [before_args.get(a, a) for a in args]
        if old is None or None in old:
            res = command_times(args, runs, prepare=prepare)
            times, cpu = list(res["times"]), float(res["cpu"])  # type: ignore[call-overload,arg-type]
            prev: tuple[list[float], float] | None = None
        else:  # one run of each tree in turn, so that a change of load hits both alike
            assert against is not None
            old_args = [a for a in old if a is not None]
            command_times(args, 1, prepare=prepare, warmup=0)  # the warm-ups, not counted
            command_times(old_args, 1, cwd=against, prepare=prepare, tree=against, warmup=0)
            pairs = [
                (
                    command_times(args, 1, prepare=prepare, warmup=0),
                    command_times(old_args, 1, cwd=against, prepare=prepare, tree=against, warmup=0),
                )
                for _ in range(runs)
            ]
            times = [float(a["times"][0]) for a, _ in pairs]  # type: ignore[index]
            cpu = statistics.mean(float(a["cpu"]) for a, _ in pairs)  # type: ignore[arg-type]
            prev = ([float(b["times"][0]) for _, b in pairs], statistics.mean(float(b["cpu"]) for _, b in pairs))  # type: ignore[index,arg-type]
        med = statistics.median(times)
        verdict = "" if target is None else f"<= {target:g} s ({'met' if med <= target else '**not met**'})"
        row = f"| {label} | {spread(times)} | {cpu:.2f} s | {verdict} |"
        if against is not None:
            if prev is None:
                row += " |"
            else:
                prev_med = statistics.median(prev[0])
                row += f" {spread(prev[0])}, CPU {prev[1]:.2f} s; {prev_med / med:.1f}x (CPU {prev[1] / cpu:.2f}x) |"
        rows.append(row)
        print(rows[-1], flush=True)
    shutil.rmtree(out, ignore_errors=True)
    if against is None:
        lines += ["| command | wall time | CPU time | target |", "|---|---|---|---|", *rows, ""]
    else:
        lines += [
            f"Before: the tree at `{against}` (commit {_commit(against)}), its runs taking turns with this tree's "
            "(one warm-up each, then one run of each in turn).",
            "",
            "| command | wall time | CPU time | target | before (same run): wall, CPU; speed-up of the median (CPU) |",
            "|---|---|---|---|---|",
            *rows,
            "",
        ]
    target = Path(__file__).parent / "RESULTS_cli.md"
    if only is not None and target.is_file():
        lines = _replace_rows(target.read_text().splitlines(), [m[0] for m in measures], rows, lines, against)
    target.write_text("\n".join(lines))
    print("\n".join(lines))


def _replace_rows(old: list[str], labels: list[str], rows: list[str], new: list[str], against: Path | None) -> list[str]:
    """The results file ``old`` with the rows of ``labels`` replaced by ``rows`` (a partial run, ``--only``), and a
    note after the table: when those rows ran, at what load and calibration, against which tree."""
    by_label = dict(zip(labels, rows, strict=True))
    out = []
    for line in old:
        label = next((lab for lab in labels if line.startswith(f"| {lab} |")), None)
        out.append(by_label.pop(label) if label is not None else line)
    run = next(line for line in new if line.startswith("Run "))
    cal = next(line for line in new if line.startswith("**Calibration**")).split(": ", 1)[1].split(".")[0]
    before = "" if against is None else f"; their runs took turns with the tree at `{against}` (commit {_commit(against)})"
    note = f"Rows {', '.join(labels)}: re-measured alone (`--only`{before}). {run} Calibration {cal}."
    out = [line for line in out if not line.startswith(f"Rows {', '.join(labels)}: re-measured")]
    while out and not out[-1].strip():
        out.pop()
    return [*out, "", note, *(["", "New rows (no earlier row to replace):", *by_label.values()] if by_label else []), ""]


def _commit(tree: Path) -> str:
    """The tree's commit (git), or the first line of a COMMIT file in an exported tree."""
    import subprocess

    proc = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    if proc.returncode == 0 and proc.stdout.strip():
        return proc.stdout.strip()
    marker = tree / "COMMIT"
    return marker.read_text().strip()[:12] if marker.is_file() else "unknown"


if __name__ == "__main__":
    from benchmarks.common import arguments

    args = arguments(
        __doc__,
        (("--runs",), {"type": int, "default": 5, "help": "runs of each command after its warm-up (default 5)"}),
        (("--against",), {"type": Path, "metavar": "TREE", "help": "another checkout of tem to time each command with"}),
        (("--only",), {"metavar": "TEXT", "help": "time only the commands whose line contains TEXT"}),
    ).parse_args()
    main(args.runs, args.against, args.only)
