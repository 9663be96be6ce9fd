"""Reports built from results files (issue: conformance reports and the CI gate)."""
