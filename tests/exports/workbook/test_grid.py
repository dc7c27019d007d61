"""The formula templates of the model sheets: every year rendered at once equals one year at a time."""

from hypothesis import given, settings
from hypothesis import strategies as st

from tem.exports.workbook.grid import Grid, InputRef


def _grid(n_years: int) -> Grid:
    g = Grid(n_years, rows={"a": 5, "b_c": 7}, constants={"inr_per_usd": 3})
    g.inputs |= {"p.q": InputRef(12, "yearly"), "s": InputRef(9, "scalar"), "l": InputRef(30, "list")}
    return g


TOKENS = ["{a}", "{a:prev}", "{b_c:upto}", "{a:all}", "{in:p.q}", "{in:s}", "{in:l}", "{c:inr_per_usd}"]
TEXT = st.text(alphabet="+-*/(),;<>=&\"' {}0123456789ABCxyz$!", max_size=8)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(TOKENS), TEXT), max_size=8), st.integers(1, 40))
def test_render_all_equals_render_per_year(parts: list[str], n_years: int) -> None:
    template = "".join(parts)
    g = _grid(n_years)
    try:
        one_by_one = [g.render(template, t) for t in range(n_years)]
    except KeyError:  # the text around the tokens formed a token of no row (e.g. "{x}"): not a template
        return
    assert g.render_all(template) == one_by_one
    assert g.render_all(template) == one_by_one  # the letters kept from the first call


def test_render_by_hand() -> None:
    g = _grid(3)
    assert g.render_all("{a}+{a:prev}*{in:p.q}-SUM({b_c:upto})/{c:inr_per_usd}+{in:s}&{x,y}") == [
        "=G5+F5*Inputs!G12-SUM($G7:G7)/Inputs!$E$3+Inputs!$E$9&{x,y}",
        "=H5+G5*Inputs!H12-SUM($G7:H7)/Inputs!$E$3+Inputs!$E$9&{x,y}",
        "=I5+H5*Inputs!I12-SUM($G7:I7)/Inputs!$E$3+Inputs!$E$9&{x,y}",
    ]
