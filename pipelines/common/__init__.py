"""Machinery shared by every source: HTTP client, rate limiting, retries, pagination, dates."""
