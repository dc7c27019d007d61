"""The Excel workbook: ``build`` assembles it; ``inputs_sheet`` (styled inputs), ``calc``, ``calc_costs``,
``calc_cash`` and ``calc_tax`` (the Calculations sheet, one formula per row), ``counterfactual`` (the import-only
sheet: the same formulas over the same inputs), ``summary`` (Statement, Unit costs, KPIs), ``checks`` (integrity
and Python parity), ``cached`` (each formula saved with its value), ``grid`` (row and column addressing) and
``style`` (formats and the text-safe writer)."""
