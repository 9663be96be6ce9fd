"""Helpers shared by the conformance suites, split by concern."""
