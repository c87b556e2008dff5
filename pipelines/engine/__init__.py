"""The run engine: which warehouse (`warehouse`), how each family of a plan loads and what it
leaves (`runner`, `outcome`, `ledger`), the run lock, and one-line errors (`explain`). It imports
no source: the specs it is given (`pipelines.common.sources`) say what to load."""
