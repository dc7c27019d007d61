"""Monte Carlo, in the order a run flows: ``spec`` (the YAML spec) -> ``resolve`` (inputs to perturb, as arrays)
-> ``distributions`` and ``correlation`` (Latin hypercube draws, Iman-Conover rank correlation) -> ``run`` (engine
batches, the result) -> ``stats`` (percentiles, rank contributions, convergence) -> ``sobol`` (SALib indices) ->
``export`` and ``charts`` (files and figures)."""
