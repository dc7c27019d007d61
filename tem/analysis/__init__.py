"""Analyses on top of the engine, each evaluating many scenarios in one vectorized call, each with its exports.

- ``sensitivity/``: sweep specs, tornado, spider, two-way data tables, goal seek, and their workbook and figures;
- ``scenarios/``: side-by-side comparison, assumption diff, bridges (sequential, Shapley), exports and charts;
- ``montecarlo/``: spec, input resolution, distributions, rank correlation, the run, statistics, Sobol indices,
  exports and charts;
- ``specio``: the YAML spec loader the three share.

May import: ``tem.exports``, ``tem.api``, ``tem.model`` and everything below; never ``tem.cli``.
"""
