"""Validation of assumption files: every malformed input is reported with file, line, dotted path and a fix.

Each file in tests/malformed/ breaks one thing (unless the case is about ``extends`` or the file itself). The
table below says where the problem must be reported and what the message must say. Cases marked xfail are
the behaviour a demanding user expects but the loader does not deliver yet (see the reason on each).
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

import tem
from tem.assumptions import loader
from tem.assumptions.checks import data_problems, horizon_problems
from tem.assumptions.schema import Assumptions, HorizonError
from tem.errors import AssumptionError, Problem

HERE = Path(__file__).parents[1]  # tests/
MALFORMED = HERE / "malformed"
BASE = HERE.parent / "assumptions" / "base.yaml"
PYTHON = "<python>"  # the file named by a problem that comes from an ``overrides`` value


# --------------------------------------------------------------------------------------------- helpers


def problems_of(path: Path, overrides: dict[str, Any] | None = None) -> list[Problem]:
    with pytest.raises(AssumptionError) as info:
        tem.load(path, overrides)
    problems = info.value.problems
    assert problems, "AssumptionError raised without any problem"
    assert all(isinstance(p, Problem) for p in problems)
    return problems


def listing(problems: list[Problem]) -> str:
    return "\n".join(f"  {p.file}:{p.line}: [{p.path}] {p.message}" for p in problems)


def same_file(reported: str | None, expected: str | Path) -> bool:
    if reported is None:
        return False
    if str(expected).startswith("<") or str(expected).startswith("--"):
        return reported == str(expected)
    return Path(reported).resolve() == Path(expected).resolve()


@dataclass(frozen=True)
class Expect:
    path: str  # dotted path of the problem ('' for a problem with the whole file)
    regex: str  # re.search must find it in the message
    line: int | None  # the line the problem is reported on (None: no line, e.g. an empty file)
    file: str | Path  # the file the problem must name
    absent: str | None = None  # re.search must NOT find it in the message (a misleading hint)


def assert_reported(problems: list[Problem], exp: Expect) -> Problem:
    at_path = [p for p in problems if p.path == exp.path]
    assert at_path, f"no problem at path {exp.path!r}; got:\n{listing(problems)}"
    matching = [p for p in at_path if re.search(exp.regex, p.message)]
    assert matching, f"no message at {exp.path!r} matches {exp.regex!r}; got:\n{listing(at_path)}"
    p = matching[0]
    assert same_file(p.file, exp.file), f"problem names file {p.file!r}, expected {exp.file}"
    assert p.line == exp.line, f"problem on line {p.line}, expected {exp.line}: {p}"
    if exp.absent is not None:
        assert not re.search(exp.absent, p.message), f"misleading message (matches {exp.absent!r}): {p.message}"
    return p


# ------------------------------------------------------------------------------------- the case table


@dataclass(frozen=True)
class Case:
    file: str
    expect: Expect


def case(
    file: str,
    path: str,
    regex: str,
    line: int | None,
    *,
    problem_file: str | Path | None = None,
    absent: str | None = None,
    xfail: str | None = None,
) -> Any:
    expect = Expect(path, regex, line, problem_file if problem_file is not None else MALFORMED / file, absent)
    marks = [pytest.mark.xfail(strict=True, reason=xfail)] if xfail else []
    return pytest.param(Case(file, expect), marks=marks, id=file.removesuffix(".yaml"))


CASES = [
    # unknown keys
    case(
        "unknown_key_did_you_mean.yaml",
        "timeline.discount_rat",
        r"unknown key 'discount_rat'; did you mean 'discount_rate'\?",
        3,
    ),
    case("funding_percent_and_unknown_repayment.yaml", "funding.term_debt.debt_share", r"use 0\.6 for 60%", 4),
    case(
        "funding_percent_and_unknown_repayment.yaml",
        "funding.term_debt.repayment",
        r"'bullet' is not allowed: input should be 'equal_principal' or 'annuity'",
        5,
    ),
    case("unknown_top_level_block.yaml", "partners", r"unknown key 'partners'.*allowed here:.*\btimeline\b.*\bcapex\b", 2),
    # the YAML itself
    case("duplicate_key.yaml", "timeline.discount_rate", r"duplicate key: also set on line 3\b", 5),
    case("unsafe_yaml_tag.yaml", "", r"python/object/apply:os\.system.*only plain YAML", 2),
    case("empty.yaml", "", r"the file is empty", None),
    case("top_level_list.yaml", "", r"top level must be a mapping.*got list", 1),
    # types and bounds
    case("wrong_type_string_for_number.yaml", "tax.corporate_rate", r"'high'.*valid number", 3),
    case("wrong_type_string_for_yearly.yaml", "opex.rnd_inr_cr", r"expected a number.*got str", 3),
    case("bool_for_number.yaml", "capex.phases.cell_plant_1.capex_inr_cr", r"true/false|valid number", 5),
    case(
        "percent_for_fraction.yaml",
        "cells.imported.freight_and_insurance_rate",
        r"fraction, not a percent; use 0\.05 for 5%",
        4,
    ),
    case("percent_for_yearly_share.yaml", "cells.imported.bcd_rate_ess", r"fraction, not a percent; use 0\.2 for 20%", 4),
    case("percent_for_inflation.yaml", "timeline.inflation_rate", r"percent.*use 0\.045\b", 3),
    case("share_above_one_in_list.yaml", "cells.local.yield_ramp.1", r"\b1\.2\b.*(above 1|outside \[0, 1\])", 4),
    case(
        "growth_path_leaves_share_bounds.yaml",
        "transition.target_local_share",
        r"FY34.*1\.07.*(above 1|outside \[0, 1\])",
        3,
        absent=r"percent|use 0\.0",
    ),
    case("negative_price.yaml", "demand.ess.price_usd_per_kwh", r"-5 is negative.*>= 0", 4),
    case("negative_volume.yaml", "demand.captive.volume_gwh", r"-1 is negative.*>= 0", 4),
    case("nan_value.yaml", "timeline.discount_rate", r"\bnan\b.*not a finite number", 3),
    case("inf_value.yaml", "pack.assembly_inr_per_kwh", r"\binf\b.*not a finite number", 3),
    # yearly inputs against the horizon
    case("list_wrong_length.yaml", "opex.rnd_inr_cr", r"20 values \(FY26-FY45\), got 3", 3),
    case("fy_point_outside_horizon.yaml", "cells.imported.bcd_rate_vehicle", r"'FY50'.*outside the horizon FY26-FY45", 4),
    case("bad_interpolation.yaml", "pack.non_cell_bom_usd_per_kwh", r"interpolation 'cubic' is not one of hold, linear", 3),
    case("growth_path_extra_key.yaml", "timeline.inr_per_usd", r"exactly the keys start and growth.*'floor'", 3),
    case(
        "horizon_shorter_than_base_points.yaml",
        "demand.captive.volume_gwh",
        r"\['FY40', 'FY45'\].*outside the horizon FY26-FY35",
        26,
        problem_file=BASE,
    ),
    # capex phases (addressed by name)
    case(
        "spend_profile_not_summing_to_one.yaml",
        "capex.phases.cell_plant_1.spend_profile",
        r"sums to 1\.1\b.*must sum to 1",
        5,
    ),
    case(
        "commissioning_outside_horizon.yaml",
        "capex.phases.pack_line_3.commissioning_fy",
        r"2050 is outside the horizon FY26-FY45",
        5,
    ),
    case(
        "spend_before_first_fy.yaml",
        "capex.phases.pack_line_1.spend_profile",
        r"start in FY25, before the first year FY26",
        5,
    ),
    case(
        "rnd_centre_capacity.yaml",
        "capex.phases.rnd_centre.capacity_gwh",
        r"capacity_gwh is 1 but a rnd_centre adds no modelled capacity",
        5,
    ),
    case("duplicate_phase_names.yaml", "capex.phases.cell_plant_3.name", r"'cell_plant_3' is used twice", 12),
    case("remove_unknown_phase.yaml", "capex.phases.recycling_lines", r"recycling_lines.*did you mean 'recycling_line'", 4),
    # other cross-field rules
    case("segment_volume_and_units.yaml", "demand.captive", r"either volume_gwh, or units and kwh_per_unit", 3),
    case("fob_price_missing.yaml", "cells.imported", r"exactly one of fob_price_usd_per_kwh and fob_learning_curve", 3),
    case(
        "perpetuity_growth_not_below_discount.yaml",
        "valuation.terminal_growth_rate",
        r"0\.13 must be below the discount rate 0\.125",
        4,
    ),
    case(
        "local_cells_start_outside_horizon.yaml",
        "transition.local_cells_start_fy",
        r"2020 is outside the horizon FY26-FY45.*null for never",
        3,
    ),
    # issue 10: every message gives the value written, whatever its type
    case("null_for_number.yaml", "timeline.discount_rate", r"^null: .*valid number > 0 and < 1", 3),
    case("word_for_yearly.yaml", "cells.imported.logistics_inr_per_kwh", r"got str 'eighty'", 4),
    # issue 10: the same fiscal year in two spellings is a duplicate key
    case(
        "same_fy_two_spellings.yaml",
        "cells.imported.bcd_rate_vehicle",
        r"duplicate key: FY26 and FY2026 are the same fiscal year \(2026\)",
        4,
    ),
    # issue 10: names that become formula keys are identifiers, like phase names
    case(
        "material_group_not_identifier.yaml",
        "cells.local.materials.copper-foil",
        r"'copper-foil' is not allowed as a name: .*letters, digits and underscores.*'copper_foil'",
        5,
    ),
    # issue 10: labels shown in every output hold printable text only (a tab or line break in a description is fine)
    case("control_character_in_name.yaml", "name", r"'base\\x01case': character 5 is U\+0001, a control character", 2),
    case("control_character_in_description.yaml", "description", r"character 19 is U\+001B, a control character", 2),
    # issue 10: hostile YAML is refused quickly, before anything is built
    case("nesting_500_deep.yaml", "", r"nests more than 40 levels deep", 3),
    case("alias_bomb.yaml", "", r"aliases \(\*name\) expanded.*at most 200,000", 7),
    case("alias_inside_itself.yaml", "", r"an alias \(\*name\) refers to a block that contains it", 2),
    case("impossible_date.yaml", "", r"cannot read '2001-02-30': day is out of range for month", 2),
    # extends
    case(
        "cyclic_extends_a.yaml",
        "extends",
        r"cyclic extends: \S*cyclic_extends_a\.yaml -> \S*cyclic_extends_b\.yaml -> \S*cyclic_extends_a\.yaml",
        1,
        problem_file=MALFORMED / "cyclic_extends_b.yaml",
    ),
    case(
        "missing_extends_target.yaml",
        "extends",
        r"'\.\./\.\./assumptions/no_such_base\.yaml' not found.*relative to the file that extends it",
        1,
    ),
]


@pytest.mark.parametrize("c", CASES)
def test_malformed_file_is_reported(c: Case) -> None:
    problems = problems_of(MALFORMED / c.file)
    assert_reported(problems, c.expect)


def test_every_malformed_file_is_in_the_table() -> None:
    in_table = {p.values[0].file for p in CASES}
    helpers = {"cyclic_extends_b.yaml"}  # the other half of the cycle
    multi = {  # tested on their own below
        "three_problems.yaml",
        "field_and_horizon_problems.yaml",
        "two_field_and_two_horizon_problems.yaml",
        "malformed_timeline_skips_horizon_checks.yaml",
    }
    on_disk = {f.name for f in MALFORMED.glob("*.yaml")}
    assert on_disk - helpers - multi == in_table
    assert len(on_disk) >= 28


def test_the_error_text_lists_every_problem() -> None:
    with pytest.raises(AssumptionError) as info:
        tem.load(MALFORMED / "percent_for_fraction.yaml")
    text = str(info.value)
    assert text.startswith("1 problem in the assumptions:")
    assert "percent_for_fraction.yaml:4: cells.imported.freight_and_insurance_rate: 5 is above 1" in text


def test_one_file_with_three_problems_reports_all_three() -> None:
    f = MALFORMED / "three_problems.yaml"
    problems = problems_of(f)
    assert_reported(problems, Expect("timeline.discount_rat", r"did you mean 'discount_rate'\?", 3, f))
    assert_reported(problems, Expect("cells.imported.freight_and_insurance_rate", r"use 0\.05 for 5%", 6, f))
    assert_reported(problems, Expect("working_capital.payable_days", r"-10\b.*greater than or equal to 0", 8, f))
    assert len(problems) == 3, listing(problems)
    text = str(AssumptionError(problems))
    assert text.startswith("3 problems in the assumptions:")
    assert all(str(p) in text for p in problems)


def test_field_problems_and_horizon_problems_are_reported_together() -> None:
    f = MALFORMED / "field_and_horizon_problems.yaml"
    problems = problems_of(f)
    assert_reported(problems, Expect("tax.corporate_rate", r"'high'.*valid number", 3, f))
    assert_reported(problems, Expect("transition.local_cells_start_fy", r"2020 is outside the horizon", 5, f))
    assert len(problems) == 2, listing(problems)


def test_two_field_problems_and_two_horizon_problems_are_reported_in_one_run() -> None:
    # One phase has both kinds: its bad capex does not stop the check of its commissioning year.
    f = MALFORMED / "two_field_and_two_horizon_problems.yaml"
    problems = problems_of(f)
    assert_reported(problems, Expect("tax.corporate_rate", r"'high'.*valid number", 3, f))
    assert_reported(problems, Expect("capex.phases.cell_plant_1.capex_inr_cr", r"-5\.0 .*greater than or equal to 0", 7, f))
    assert_reported(
        problems, Expect("capex.phases.cell_plant_1.commissioning_fy", r"2050 is outside the horizon FY26-FY45", 8, f)
    )
    assert_reported(problems, Expect("opex.rnd_inr_cr", r"20 values \(FY26-FY45\), got 3", 10, f))
    assert len(problems) == 4, listing(problems)


def test_a_malformed_timeline_skips_the_horizon_checks() -> None:
    # Without a usable horizon nothing can be checked against it; the timeline problem itself is reported.
    f = MALFORMED / "malformed_timeline_skips_horizon_checks.yaml"
    problems = problems_of(f)
    assert_reported(problems, Expect("timeline.horizon_years", r"'x'.*valid integer", 3, f))
    assert len(problems) == 1, listing(problems)


# Each input breaks its own bounds and would also fail a horizon check: it is reported once, by pydantic.
# (body, dotted path, message regex, line in the scenario file: extends and name come first)
REJECTED_INPUT_CASES = [
    pytest.param(
        "timeline:\n  horizon_years: 0\n", "timeline.horizon_years", r"greater than or equal to 1", 4, id="horizon_0"
    ),
    pytest.param(
        "capex:\n  phases:\n    - {name: cell_plant_1, commissioning_fy: 1990}\n",
        "capex.phases.cell_plant_1.commissioning_fy",
        r"1990 .*greater than or equal to 2000",
        5,
        id="commissioning_before_2000",
    ),
    pytest.param(
        "capex:\n  phases:\n    - {name: pack_line_1, spend_profile: [0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2]}\n",
        "capex.phases.pack_line_1.spend_profile",
        r"sums to 1\.4\b",
        5,
        id="long_spend_profile_not_summing_to_one",
    ),
    pytest.param(
        "opex:\n  rnd_inr_cr: [30.0, a, 32.0]\n", "opex.rnd_inr_cr", r"list item 1 is 'a'", 4, id="short_list_bad_item"
    ),
    pytest.param(
        "transition:\n  target_local_share: {FY26: 0.5, FY50: 7}\n",
        "transition.target_local_share",
        r"\b7\b.*outside \[0, 1\]",
        4,
        id="fy_points_out_of_bounds_and_horizon",
    ),
    pytest.param(
        "valuation:\n  terminal_value_method: perpetuity\n  terminal_growth_rate: 1.5\n",
        "valuation.terminal_growth_rate",
        r"1\.5 is above 1",
        5,
        id="terminal_growth_out_of_bounds",
    ),
    pytest.param(
        "reporting:\n  dva_fys: [2030, x]\n", "reporting.dva_fys.1", r"'x'.*valid integer", 4, id="dva_fy_not_a_number"
    ),
    pytest.param("reporting:\n  dva_fys: []\n", "reporting.dva_fys", r"^\[\] lists no fiscal year", 4, id="dva_fys_empty"),
]


@pytest.mark.parametrize(("body", "path", "regex", "line"), REJECTED_INPUT_CASES)
def test_an_input_pydantic_rejects_is_not_checked_against_the_horizon_too(
    base_in_tmp: Path, body: str, path: str, regex: str, line: int
) -> None:
    scenario = _scenario(base_in_tmp, body)
    problems = problems_of(scenario)
    assert_reported(problems, Expect(path, regex, line, scenario))
    assert len(problems) == 1, listing(problems)


@pytest.mark.parametrize(
    "name",
    [
        "commissioning_outside_horizon.yaml",
        "fy_point_outside_horizon.yaml",
        "growth_path_leaves_share_bounds.yaml",
        "horizon_shorter_than_base_points.yaml",
        "list_wrong_length.yaml",
        "local_cells_start_outside_horizon.yaml",
        "perpetuity_growth_not_below_discount.yaml",
        "spend_before_first_fy.yaml",
    ],
)
def test_raw_data_checks_equal_the_model_validator(name: str) -> None:
    # One implementation: on raw merged data (as the loader runs it when fields are invalid) and on a
    # validated model (the model validator) the checks find the same problems, in the same order.
    data, _, _ = loader._read_chain(MALFORMED / name, [], [])
    assert data is not None
    with pytest.raises(ValidationError) as info:
        Assumptions.model_validate(data)
    horizon = [e["ctx"]["error"] for e in info.value.errors() if isinstance((e.get("ctx") or {}).get("error"), HorizonError)]
    assert len(horizon) == 1
    assert horizon[0].problems
    assert data_problems(data, rejected=()) == horizon[0].problems


def test_valid_data_has_no_raw_problems() -> None:
    data, _, _ = loader._read_chain(BASE, [], [])
    assert data is not None
    assert data_problems(data, rejected=()) == []
    assert horizon_problems(tem.load(BASE)) == []


def test_direct_model_validation_still_runs_the_horizon_checks() -> None:
    data = yaml.safe_load(BASE.read_text(encoding="utf-8"))
    data["transition"]["local_cells_start_fy"] = 2020
    with pytest.raises(ValidationError, match=r"local_cells_start_fy: 2020 is outside the horizon"):
        Assumptions.model_validate(data)


@pytest.mark.parametrize("name", ["cyclic_extends_a.yaml", "missing_extends_target.yaml"])
def test_broken_extends_is_reported_on_the_extends_line(name: str) -> None:
    problems = problems_of(MALFORMED / name)
    extends = [p for p in problems if p.path == "extends"]
    assert len(extends) == 1, listing(problems)
    assert extends[0].line == 1


@pytest.mark.parametrize("name", ["cyclic_extends_a.yaml", "missing_extends_target.yaml"])
def test_broken_extends_is_not_buried_in_missing_key_noise(name: str) -> None:
    problems = problems_of(MALFORMED / name)
    assert [p.path for p in problems] == ["extends"], listing(problems)


def test_unsafe_yaml_tag_is_never_executed(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []
    monkeypatch.setattr(os, "system", lambda *a, **k: calls.append(a) or 0)
    problems = problems_of(MALFORMED / "unsafe_yaml_tag.yaml")
    assert calls == []
    assert len(problems) == 1, listing(problems)


def test_phase_problems_name_the_phase_not_its_index() -> None:
    # Whatever the level, a capex phase is addressed by its name, never by its position in the list.
    for name, phase in [
        ("spend_profile_not_summing_to_one.yaml", "cell_plant_1"),
        ("rnd_centre_capacity.yaml", "rnd_centre"),
    ]:
        problems = problems_of(MALFORMED / name)
        assert any(p.path.startswith(f"capex.phases.{phase}") for p in problems), listing(problems)
        assert not any(re.match(r"capex\.phases\.\d", p.path) for p in problems), listing(problems)


# ------------------------------------------------------------------------------------- file size


def _padded_copy_of_base(tmp_path: Path, size: int) -> Path:
    """A valid assumption file (base.yaml plus a trailing comment) of exactly ``size`` bytes."""
    text = BASE.read_text(encoding="utf-8") + "\n# "
    pad = size - len(text.encode("utf-8")) - 1
    assert pad >= 0
    f = tmp_path / "padded.yaml"
    f.write_text(text + "x" * pad + "\n", encoding="utf-8")
    assert f.stat().st_size == size
    return f


def test_file_over_one_million_bytes_is_refused(tmp_path: Path) -> None:
    f = _padded_copy_of_base(tmp_path, 1_000_001)
    problems = problems_of(f)
    assert_reported(problems, Expect("", r"1,000,001 bytes.*limited to 1,000,000 bytes", None, f))
    assert len(problems) == 1


def test_file_of_exactly_one_million_bytes_is_read(tmp_path: Path) -> None:
    f = _padded_copy_of_base(tmp_path, 1_000_000)
    assert tem.load(f).name == "base"


# ------------------------------------------------------------------------------------- overrides


OVERRIDE_CASES = [
    pytest.param(
        {"capex.phases.cell_plant_9.capex_inr_cr": 100.0},
        Expect(
            "capex.phases.cell_plant_9.capex_inr_cr",
            r"no item named 'cell_plant_9' under capex\.phases.*did you mean 'cell_plant_[12]'\?",
            None,
            PYTHON,
        ),
        id="unknown_phase_name",
    ),
    pytest.param(
        {"timeline.discount_rat": 0.1},
        Expect("timeline.discount_rat", r"unknown key 'discount_rat'; did you mean 'discount_rate'\?", None, PYTHON),
        id="unknown_key",
    ),
    pytest.param(
        {"cells.imported.freight_and_insurance_rate": 5},
        Expect("cells.imported.freight_and_insurance_rate", r"use 0\.05 for 5%", None, PYTHON),
        id="percent",
    ),
    pytest.param(
        {"demand.captive.volume_gwh.FY30": 2.0},
        Expect("demand.captive.volume_gwh.FY30", r"demand\.captive\.volume_gwh is a value, not a block", None, PYTHON),
        id="step_into_a_yearly_value",
    ),
    pytest.param(
        {"capex.phases.cell_plant_1": 3.0},
        Expect("capex.phases.cell_plant_1", r"cell_plant_1.*(block|phase)", None, PYTHON, absent=r"add the item name"),
        id="phase_set_to_a_number",
    ),
    pytest.param(
        {"timelin.discount_rate": 0.1},
        Expect("timelin", r"unknown key 'timelin'; did you mean 'timeline'\?", None, PYTHON),
        id="unknown_block",
    ),
    pytest.param(
        {"cells.local.yield_ramp": [0.5, 2.0]},
        Expect("cells.local.yield_ramp.1", r"\b2\b.*(above 1|outside \[0, 1\])", None, PYTHON),
        id="list_item_from_override",
    ),
]


@pytest.mark.parametrize(("overrides", "exp"), OVERRIDE_CASES)
def test_bad_override_is_reported(overrides: dict[str, Any], exp: Expect) -> None:
    problems = problems_of(BASE, overrides)
    assert_reported(problems, exp)


def test_override_problem_names_its_source() -> None:
    with pytest.raises(AssumptionError) as info:
        loader.load(BASE, {"timeline.discount_rate": "abc"}, override_source="--set")
    assert_reported(info.value.problems, Expect("timeline.discount_rate", r"'abc'.*valid number", None, "--set"))


def test_valid_overrides_change_the_loaded_values() -> None:
    base = tem.load(BASE)
    overrides = {
        "cells.imported.freight_and_insurance_rate": 0.03,
        "capex.phases.cell_plant_1.capex_inr_cr": 3000.0,
        "demand.ess.volume_gwh": {"FY28": 1.0, "FY40": 9.0},
        "valuation.terminal_value_method": "perpetuity",
    }
    a = tem.load(BASE, overrides)
    assert base.cells.imported.freight_and_insurance_rate == 0.025
    assert a.cells.imported.freight_and_insurance_rate == 0.03
    plant = {p.name: p for p in a.capex.phases}["cell_plant_1"]
    assert plant.capex_inr_cr == 3000.0
    assert plant.spend_profile == [0.3, 0.4, 0.3]  # the rest of the phase is untouched
    assert a.demand.ess.volume_gwh == {"FY28": 1.0, "FY40": 9.0}  # a yearly value is replaced whole
    assert a.valuation.terminal_value_method == "perpetuity"
    assert a.overrides == overrides
    assert [p.name for p in a.capex.phases] == [p.name for p in base.capex.phases]


def test_override_wins_over_the_scenario_file(tmp_path: Path) -> None:
    base = _copy_base(tmp_path)
    scenario = _write(tmp_path / "s.yaml", f"extends: {base.name}\ntimeline:\n  discount_rate: 0.10\n")
    assert tem.load(scenario).timeline.discount_rate == 0.10
    assert tem.load(scenario, {"timeline.discount_rate": 0.11}).timeline.discount_rate == 0.11


# ------------------------------------------------------------------------------------- merge rules


def _copy_base(tmp_path: Path) -> Path:
    return Path(shutil.copy(BASE, tmp_path / "base.yaml"))


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def base_in_tmp(tmp_path: Path) -> Path:
    return _copy_base(tmp_path)


def _scenario(base: Path, body: str, name: str = "scenario.yaml") -> Path:
    return _write(base.parent / name, f"extends: {base.name}\nname: {name.removesuffix('.yaml')}\n{body}")


def test_mappings_merge_key_by_key(base_in_tmp: Path) -> None:
    base = tem.load(base_in_tmp)
    a = tem.load(_scenario(base_in_tmp, "timeline:\n  discount_rate: 0.10\n"))
    assert a.name == "scenario"
    assert a.timeline.discount_rate == 0.10
    assert a.timeline.model_dump(exclude={"discount_rate"}) == base.timeline.model_dump(exclude={"discount_rate"})
    assert a.cells == base.cells


def test_phases_merge_by_name(base_in_tmp: Path) -> None:
    base = tem.load(base_in_tmp)
    a = tem.load(_scenario(base_in_tmp, "capex:\n  phases:\n    - name: cell_plant_1\n      capex_inr_cr: 3000.0\n"))
    before = {p.name: p for p in base.capex.phases}
    after = {p.name: p for p in a.capex.phases}
    assert [p.name for p in a.capex.phases] == [p.name for p in base.capex.phases]  # order kept, nothing added
    assert after["cell_plant_1"].capex_inr_cr == 3000.0
    assert after["cell_plant_1"].model_dump(exclude={"capex_inr_cr"}) == before["cell_plant_1"].model_dump(
        exclude={"capex_inr_cr"}
    )
    assert all(after[n] == before[n] for n in before if n != "cell_plant_1")


def test_a_new_phase_name_is_appended(base_in_tmp: Path) -> None:
    base = tem.load(base_in_tmp)
    body = (
        "capex:\n  phases:\n    - name: cell_plant_3\n      kind: cell_plant\n      capex_inr_cr: 1200.0\n"
        "      spend_profile: [0.5, 0.5]\n      commissioning_fy: 2037\n      capacity_gwh: 3.0\n"
        "      book_life_years: 10\n      tax_depreciation_rate: 0.15\n"
    )
    a = tem.load(_scenario(base_in_tmp, body))
    assert [p.name for p in a.capex.phases] == [*(p.name for p in base.capex.phases), "cell_plant_3"]
    assert a.capex.phases[-1].capex_inr_cr == 1200.0
    assert a.capex.phases[-1].utilization_ramp == [1.0]  # schema default, nothing inherited from another phase


def test_remove_true_deletes_a_phase(base_in_tmp: Path) -> None:
    base = tem.load(base_in_tmp)
    a = tem.load(_scenario(base_in_tmp, "capex:\n  phases:\n    - {name: recycling_line, remove: true}\n"))
    names = [p.name for p in base.capex.phases]
    assert [p.name for p in a.capex.phases] == [n for n in names if n != "recycling_line"]


def test_remove_and_modify_in_one_scenario(base_in_tmp: Path) -> None:
    body = (
        "capex:\n  phases:\n    - {name: cell_plant_2, remove: true}\n    - {name: pilot_cell_line, capex_inr_cr: 350.0}\n"
    )
    a = tem.load(_scenario(base_in_tmp, body))
    phases = {p.name: p for p in a.capex.phases}
    assert "cell_plant_2" not in phases
    assert phases["pilot_cell_line"].capex_inr_cr == 350.0


@pytest.mark.parametrize(
    ("dotted", "yaml_value", "expected"),
    [
        # FY points over FY points: the base's other points and its interpolation are gone
        ("demand.captive.volume_gwh", "{FY26: 1.0, FY45: 2.0}", {"FY26": 1.0, "FY45": 2.0}),
        # a growth path over FY points
        ("cells.imported.fob_price_usd_per_kwh", "{start: 50.0, growth: -0.02}", {"start": 50.0, "growth": -0.02}),
        # FY points over a growth path: no 'start'/'growth' left over
        (
            "timeline.inr_per_usd",
            "{FY26: 90.0, FY45: 120.0, interpolation: linear}",
            {"FY26": 90.0, "FY45": 120.0, "interpolation": "linear"},
        ),
        # a number over FY points
        ("cells.imported.bcd_rate_vehicle", "0.1", 0.1),
    ],
)
def test_yearly_dict_is_replaced_not_mixed(base_in_tmp: Path, dotted: str, yaml_value: str, expected: Any) -> None:
    *blocks, key = dotted.split(".")
    body = "".join(f"{'  ' * i}{b}:\n" for i, b in enumerate(blocks)) + f"{'  ' * len(blocks)}{key}: {yaml_value}\n"
    a = tem.load(_scenario(base_in_tmp, body))
    node: Any = a
    for step in dotted.split("."):
        node = getattr(node, step)
    assert node == expected


def test_a_partial_growth_path_is_not_completed_from_the_base(base_in_tmp: Path) -> None:
    # base has inr_per_usd {start: 90, growth: 0.03}; giving only start must not inherit growth
    scenario = _scenario(base_in_tmp, "timeline:\n  inr_per_usd: {start: 95.0}\n")
    problems = problems_of(scenario)
    assert_reported(problems, Expect("timeline.inr_per_usd", r"exactly the keys start and growth", 4, scenario))


def test_other_lists_are_replaced_whole(base_in_tmp: Path) -> None:
    body = (
        "cells:\n  local:\n    yield_ramp: [0.8]\n"
        "capex:\n  phases:\n    - name: cell_plant_1\n      spend_profile: [0.5, 0.5]\n"
        "      utilization_ramp: [0.9]\n"
    )
    a = tem.load(_scenario(base_in_tmp, body))
    assert a.cells.local.yield_ramp == [0.8]
    plant = {p.name: p for p in a.capex.phases}["cell_plant_1"]
    assert plant.spend_profile == [0.5, 0.5]
    assert plant.utilization_ramp == [0.9]


def test_extends_chain_of_three_files(base_in_tmp: Path) -> None:
    _scenario(base_in_tmp, "timeline:\n  discount_rate: 0.10\ntax:\n  corporate_rate: 0.30\n", "mid.yaml")
    sub = base_in_tmp.parent / "sub"
    sub.mkdir()
    top = _write(sub / "top.yaml", "extends: ../mid.yaml\nname: top\ntax:\n  corporate_rate: 0.20\n")
    a = tem.load(top)
    assert a.name == "top"
    assert a.timeline.discount_rate == 0.10  # from mid
    assert a.tax.corporate_rate == 0.20  # top over mid
    assert a.tax.loss_carry_forward_years == 8  # from base
    assert [Path(f).name for f, _ in a.sources] == ["base.yaml", "mid.yaml", "top.yaml"]
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for _, h in a.sources)


def test_problem_in_the_middle_of_a_chain_names_that_file(base_in_tmp: Path) -> None:
    mid = _scenario(base_in_tmp, "timeline:\n  discount_rate: 12.5\n", "mid.yaml")
    top = _write(base_in_tmp.parent / "top.yaml", "extends: mid.yaml\nname: top\n")
    problems = problems_of(top)
    assert_reported(problems, Expect("timeline.discount_rate", r"use 0\.125 for 12\.5%", 4, mid))


def test_duplicate_phase_names_in_a_standalone_file_are_reported(tmp_path: Path) -> None:
    # Without extends nothing is merged, so the uniqueness check sees both phases.
    data = yaml.safe_load(BASE.read_text(encoding="utf-8"))
    twin = dict(data["capex"]["phases"][-1])  # cell_plant_2
    twin["commissioning_fy"] = 2040
    data["capex"]["phases"].append(twin)
    f = _write(tmp_path / "standalone.yaml", yaml.safe_dump(data, sort_keys=False))
    lines = f.read_text(encoding="utf-8").splitlines()
    second = [i for i, t in enumerate(lines, 1) if t.strip() == "- name: cell_plant_2"][-1]
    problems = problems_of(f)
    assert_reported(problems, Expect("capex.phases.cell_plant_2.name", r"'cell_plant_2' is used twice", second, f))
