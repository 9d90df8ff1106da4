"""The Mesa visual server: `innosim viz` serves the page of `app` (map, charts, controls).

`levers` turns the policy levers into page controls and back into scenario overrides, `vizmodel`
builds the model the page runs, `data` extracts what the page draws, `mapview` and `charts` draw
it, `server` starts Solara and `assets` checks that Solara's browser files are installed
(solara-assets: no CDN needed).
"""

import os
import warnings

# Solara's usage telemetry would reach the internet; it reads this once, when solara is imported
# (just below, through mesa.visualization). Set SOLARA_TELEMETRY_MIXPANEL_ENABLE=True to allow it.
os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")

with warnings.catch_warnings():
    # Solara checks every component's hooks when it is defined. Mesa 3.3's ComponentsView calls
    # hooks after an early return for an empty component list, which Solara warns about on import.
    # Harmless here: the page always gives SolaraViz an empty list, so every render takes the
    # same path (Mesa 3.5 moved the hooks above the return).
    warnings.filterwarnings("ignore", message=r".*ComponentsView: `use_state` found despite early return",
                            category=UserWarning)
    import mesa.visualization  # noqa: F401
