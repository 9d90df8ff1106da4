"""Global sensitivity analysis: experiment files, SALib designs and indices, noise checks, the report."""
