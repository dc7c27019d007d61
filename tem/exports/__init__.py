"""Presentation of results: ``workbook/`` (the Excel model restated as live formulas), ``charts/`` (plotly figures,
theme, PNG), ``report/`` (one HTML page per run), ``writer`` (atomic file writes) and ``manifest`` (provenance).

Reads results and never recomputes the model (the workbook restates it as formulas). May import ``tem.api``,
``tem.model`` and everything below; never ``tem.analysis`` or ``tem.cli``.
"""
