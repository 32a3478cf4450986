"""Placeholder; written next."""
