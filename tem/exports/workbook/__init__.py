"""The Excel workbook: ``build`` assembles it; ``inputs_sheet`` (styled inputs), ``calc``, ``calc_costs`` and
``calc_cash`` (the Calculations sheet, one formula per row), ``summary`` (Statement, Unit costs, KPIs, Checks),
``grid`` (row and column addressing) and ``style`` (formats and the text-safe writer)."""
