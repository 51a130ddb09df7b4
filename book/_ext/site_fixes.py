"""Small Sphinx fixes for the book's website (a local extension, see _config.yml).

- sphinx-thebe 0.3.1 and sphinx-togglebutton register their inline configuration scripts twice
  under Jupyter Book 1.0 (once with filename ``None``, once with ``""``), so every page threw
  "Identifier 'THEBE_JS_URL' has already been declared" in the browser console. This drops
  duplicate ``<script>`` entries from each page (same file or inline body, same attributes).
- Adds ``_static/offline-widgets.js`` ahead of the widget manager (priority 200 < myst-nb's
  500): it points html-manager at its fonts in ``_static/vendor/`` and gives ipywidgets the
  MathJax 2 call it makes (``MathJax.Hub.Queue``) on top of MathJax 3.

The browser test (tests/browser) fails on any console error, so a regression shows there.
"""

from __future__ import annotations

from typing import Any


def _key(script: Any) -> tuple:
    filename = getattr(script, "filename", script) or ""  # None and "" both mean an inline script
    attributes = getattr(script, "attributes", {}) or {}
    return (str(filename), tuple(sorted((k, str(v)) for k, v in attributes.items())))


def dedupe_scripts(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """Keep the first of each group of identical ``<script>`` entries of a page."""
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple] = set()
    unique = []
    for script in scripts:
        key = _key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique  # in place: later handlers (MathJax, myst-nb's widgets) append to this list


def setup(app: Any) -> dict[str, Any]:
    app.add_js_file("offline-widgets.js", priority=200)
    # Early (100): a handler that returns a template name ends html-page-context for later ones.
    app.connect("html-page-context", dedupe_scripts, priority=100)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
