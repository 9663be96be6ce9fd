"""Deliberately broken candidates: each proves some conformance check can fail."""
