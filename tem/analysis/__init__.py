"""Analyses on the vectorized engine: sensitivity (tornado, spider, data tables, goal seek), scenario
comparison and bridges, Monte Carlo and Sobol indices. Each builds a batch of inputs and calls the engine once
(or in chunks)."""
