"""One-at-a-time and two-way sensitivity: ``spec`` (sweep spec and settings), ``sweeps`` (tornado, spider, data
table, all one engine batch), ``goalseek`` (breakevens), ``export`` (workbook and plotly figures)."""
