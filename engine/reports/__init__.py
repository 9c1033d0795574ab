"""Reports from case data: plain facts in (`model`), a computed `Report` out (`compute`); never prints.

Rendering (markdown, CSV, JSON, a self-contained HTML page) is `reviewflow.engine.render.report_*`.
"""
