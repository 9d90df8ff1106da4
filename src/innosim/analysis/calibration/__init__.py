"""Calibration: target files, the fit, stylised facts, the fit report."""
