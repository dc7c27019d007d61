"""The model: pure functions over ``(S, T)`` arrays (scenarios x years), in data-flow order.

``inputs`` (assumptions -> arrays) -> ``volumes`` -> ``unit_costs`` -> ``capex`` -> ``operations`` -> ``tax`` ->
``cashflow`` -> ``kpis``; ``engine`` is the one place that knows that order; ``results`` turns an engine outcome
into pandas objects; ``batch_runtime`` runs chunks of a batch on threads. New stages (pricing, funding, gates) go
here. May import: ``tem.assumptions``, ``tem.finance``, ``tem.catalogue``, ``tem.errors``, ``tem.units``,
``tem.arrays``; never ``tem.api``, ``tem.exports``, ``tem.analysis`` or ``tem.cli``.
"""
