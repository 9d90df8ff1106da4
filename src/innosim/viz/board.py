"""A matplotlib figure that persists across steps and redraws only what moves (blitting).

Building a figure is the dear part of drawing one (axes, ticks, text layout); so each component
keeps a `Board`: its static parts are drawn once into a cached background, and each step
restores that background and draws the artists marked ``animated`` on top, then encodes a PNG.
When a static part changes (an axis limit), the component calls `invalidate`.
"""

from __future__ import annotations

import io
import threading

from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

#: PNG compression: level 1 encodes several times faster than the default, for a slightly larger file.
PNG_COMPRESS_LEVEL = 1


class Board:
    """A figure with a cached background; subclasses list their moving artists in `dynamic`."""

    def __init__(self, figure: Figure):
        self.figure = figure
        self.canvas = FigureCanvasAgg(figure)  # one renderer for the board's life: text sizes stay cached
        self.dynamic: list[Artist] = []
        self._background = None
        self.lock = threading.RLock()  # Mesa's play loop renders from a worker thread

    def animate(self, artist: Artist) -> Artist:
        """Mark `artist` as drawn on every frame (not part of the background)."""
        artist.set_animated(True)
        self.dynamic.append(artist)
        return artist

    def invalidate(self) -> None:
        """The background changed: draw it again on the next frame."""
        self._background = None

    def png(self) -> bytes:
        """The current frame as PNG bytes."""
        with self.lock:
            if self._background is None:
                self.canvas.draw()  # skips animated artists
                self._background = self.canvas.copy_from_bbox(self.figure.bbox)
            else:
                self.canvas.restore_region(self._background)
            for artist in self.dynamic:
                if artist.get_visible():
                    self.figure.draw_artist(artist)
            width, height = self.canvas.get_width_height(physical=True)
            image = Image.frombuffer("RGBA", (width, height), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
            buffer = io.BytesIO()
            image.save(buffer, format="png", compress_level=PNG_COMPRESS_LEVEL)
            return buffer.getvalue()
