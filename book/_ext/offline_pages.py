"""Keep the built pages self-contained.

Jupyter Book 1 always loads ``sphinx_thebe``, which writes a script constant pointing at a CDN copy of
thebe into every page (twice, which browsers report as a console error), although this book has no live
code buttons. This extension disconnects that step, so no page names a remote script.
"""

from __future__ import annotations

from sphinx.application import Sphinx


def setup(app: Sphinx) -> dict[str, object]:
    app.setup_extension("sphinx_thebe")
    for listener in list(app.events.listeners.get("env-before-read-docs", [])):
        if getattr(listener.handler, "__name__", "") == "init_thebe_core":
            app.disconnect(listener.id)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
