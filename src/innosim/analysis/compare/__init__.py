"""Scenario comparison: summaries with intervals, paired differences, public cost, the report."""
