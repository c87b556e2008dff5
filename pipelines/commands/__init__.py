"""The front doors: the command line (`python -m pipelines`), its console output and run log,
the seed-test commands, and the Dagster code location. They start runs; `pipelines.flow` runs them."""
