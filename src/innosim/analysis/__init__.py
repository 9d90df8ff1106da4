"""Tools that read result tables: scenario comparison, sensitivity analysis, calibration, report writing.

Nothing here builds agents: the tools work on the tables the batch engine (`innosim.batch`) stores.
"""
