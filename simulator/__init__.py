"""Development tools beside the product, never shipped in it: a local fake of the APIs the
pipeline reads (faithful to their OpenAPI schemas and documented quirks), the demo and the bench.

Run from the repository root: `python -m simulator --port N` serves the fake APIs,
`python -m simulator.demo` is `make demo`, `python -m simulator.bench` is `make bench`.
"""
