"""A local fake of the APIs the pipeline reads, faithful to their OpenAPI 200 schemas.

It powers the tests, `make demo` and `make bench`; start it alone with
`python -m pipelines simulator --port N`.
"""
