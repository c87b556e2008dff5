"""The run engine: which warehouse (`warehouse`), what a run loads (`plan`, `families`), how each
family loads and what it leaves (`runner`, `ledger`), the run lock, and one-line errors (`explain`).
It knows sources only through `plan`."""
