"""Scenario comparison: ``compare`` (KPIs and statements side by side, assumption diff), ``bridge`` and
``bridge_inputs`` (attribution of a KPI difference to groups of assumptions, sequential and Shapley), ``charts``
(bars and waterfalls) and ``export`` (workbook, CSVs, HTML)."""
