"""Spec and option errors: one message each, with the file, line, dotted path, value and what is allowed; an
option's value blamed on the option (review 17, defects 5, 6 and 11)."""

from __future__ import annotations

from pathlib import Path

import pytest

import tem
from tem.analysis.montecarlo.spec import CLI_OPTIONS, MIN_SCENARIOS, load_montecarlo_spec
from tem.analysis.sensitivity.goalseek import goal_seek
from tem.analysis.sensitivity.spec import SweepSpec, check_sweep
from tem.analysis.specio import load_spec, with_options
from tem.errors import AssumptionError, BatchInputError, OptionError, Problem
from tem.model.inputs import build_inputs

ROOT = Path(__file__).parents[2]
BASE = ROOT / "assumptions" / "base.yaml"
SPEC = ROOT / "assumptions" / "montecarlo.yaml"
GATED = "capex.phases.cell_plant_1.commissioning_fy"


@pytest.fixture(scope="module")
def base() -> tem.Assumptions:
    return tem.load(BASE)


def problems(call: object, *args: object) -> list[Problem]:
    with pytest.raises(AssumptionError) as info:
        call(*args)  # type: ignore[operator]
    return info.value.problems


def spec_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf"])
def test_a_union_of_number_or_text_gives_one_message(tmp_path: Path, value: str) -> None:
    path = spec_file(tmp_path, f"parameters:\n  - {{path: timeline.discount_rate, low: {value}, high: 0.2}}\n")
    (p,) = problems(load_spec, path, SweepSpec)
    assert (p.file, p.line, p.path) == (str(path), 2, "parameters.0.low")
    assert p.message.startswith(f"{float(value.replace('.', '')):g}: Input should be a finite number")
    assert p.message.endswith("(the entry for timeline.discount_rate)")


def test_a_sweep_level_a_gate_cannot_un_spend_names_file_line_and_value(tmp_path: Path, base: tem.Assumptions) -> None:
    text = (
        "parameters:\n  - {path: timeline.discount_rate, low: 0.1, high: 0.16}\n"
        f"  - {{path: {GATED}, low: 2029, high: 2033}}\n"
    )
    spec = load_spec(spec_file(tmp_path, text), SweepSpec)
    (p,) = problems(check_sweep, spec, build_inputs(base))
    assert (p.file, p.line, p.path) == (spec.source, 3, "parameters.1.low")
    assert p.message.startswith(f"2029: {GATED}: ")
    assert "you cannot un-spend" in p.message


@pytest.mark.parametrize(("low", "high"), [(0.15, 0.10), ("'+10%'", "'-10%'")])
def test_a_sweep_low_above_high_is_refused(tmp_path: Path, base: tem.Assumptions, low: object, high: object) -> None:
    spec = load_spec(
        spec_file(tmp_path, f"parameters:\n  - {{path: timeline.discount_rate, low: {low}, high: {high}}}\n"), SweepSpec
    )
    (p,) = problems(check_sweep, spec, build_inputs(base))
    assert (p.line, p.path) == (2, "parameters.0.high")
    assert "is below low" in p.message


def test_monte_carlo_correlation_and_parameter_errors_have_line_and_input(tmp_path: Path) -> None:
    text = (
        "n: 500\ninputs:\n"
        "  - {path: timeline.discount_rate, distribution: uniform, low: 0.1, high: 0.16}\n"
        "  - {path: timeline.inflation_rate, distribution: uniform, low: 0.03, high: 0.05}\n"
        "correlations:\n  - between: [timeline.discount_rate, pack.nope]\n    rank: 0.5\n"
    )
    path = spec_file(tmp_path, text)
    (p,) = problems(load_montecarlo_spec, path)
    assert (p.file, p.line, p.path) == (str(path), 6, "correlations.0.between")
    assert p.message == "'pack.nope' is not among the uncertain inputs"
    path = spec_file(tmp_path, "inputs:\n  - {path: timeline.discount_rate, distribution: normal, mean: 0.13, sd: -0.01}\n")
    (p,) = problems(load_montecarlo_spec, path)
    assert (p.line, p.path) == (2, "inputs.0")
    assert p.message == "sd = -0.01 must be > 0 (the entry for timeline.discount_rate)"


def option_error(*args: object) -> OptionError:
    with pytest.raises(OptionError) as info:
        with_options(*args)  # type: ignore[arg-type]
    return info.value


def test_monte_carlo_options_are_blamed_on_the_option_that_gave_them() -> None:
    """One line naming the option, the value and what the spec's rules allow (no field name, no pydantic words);
    the first bad option when two are."""
    spec = load_montecarlo_spec(SPEC)
    assert spec.correlations  # so the fewest scenarios is inputs + 2
    least = len(spec.inputs) + 2
    why = f"correlated sampling needs more scenarios than inputs + 1 ({least - 1})"
    e = option_error(spec, {"n": 10, "sobol_n_base": 100}, CLI_OPTIONS)
    assert str(e) == f"--n: 10 is not allowed; allowed: a whole number from {least} to 10,000,000 ({why})"
    for n in (-5, 0, 9, least - 1, 10_000_001):  # one minimum, whatever the value
        assert str(option_error(spec, {"n": n}, CLI_OPTIONS)).startswith(f"--n: {n} is not allowed; allowed: ")
    assert with_options(spec, {"n": least}, CLI_OPTIONS).n == least
    for base in (-3, 4, 100, 1000, 2**21):
        assert str(option_error(spec, {"sobol_n_base": base}, CLI_OPTIONS)) == (
            f"--sobol: {base} is not allowed; allowed: a power of 2 from 8 to 1,048,576 (e.g. 1,024)"
        )
    assert str(option_error(spec, {"seed": -1}, CLI_OPTIONS)) == (
        "--seed: -1 is not allowed; allowed: a whole number of at least 0"
    )


def test_without_correlations_the_fewest_scenarios_is_ten(tmp_path: Path) -> None:
    path = spec_file(tmp_path, "inputs:\n  - {path: timeline.discount_rate, distribution: uniform, low: 0.1, high: 0.16}\n")
    spec = load_montecarlo_spec(path)
    assert str(option_error(spec, {"n": MIN_SCENARIOS - 1}, CLI_OPTIONS)) == (
        f"--n: {MIN_SCENARIOS - 1} is not allowed; allowed: a whole number from 10 to 10,000,000 "
        "(fewer scenarios say nothing about a distribution)"
    )
    assert with_options(spec, {"n": MIN_SCENARIOS}, CLI_OPTIONS).n == MIN_SCENARIOS
    path = spec_file(
        tmp_path, "n: 5\ninputs:\n  - {path: timeline.discount_rate, distribution: uniform, low: 0.1, high: 0.16}\n"
    )
    (p,) = problems(load_montecarlo_spec, path)
    assert (p.file, p.line, p.path) == (str(path), 1, "n")


def test_goal_seek_names_the_option_of_an_unknown_kpi(base: tem.Assumptions) -> None:
    sources = {"kpi": "--kpi", "path": "--path"}
    with pytest.raises(BatchInputError, match=r"^--kpi: unknown KPI 'nope'; KPIs are: .*npv_inr_cr"):
        goal_seek(base, "timeline.discount_rate", "nope", 0.0, 0.1, 0.2, sources=sources)
    with pytest.raises(BatchInputError, match=r"^--path: unknown input path 'nope'"):
        goal_seek(base, "nope", "npv_inr_cr", 0.0, 0.1, 0.2, sources=sources)
