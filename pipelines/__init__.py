"""Deliverability ELT: Instantly (API v2) and Campaign Cleaner into a dlt warehouse."""
