"""Pure rendering functions: plain values in, strings or JSON-ready dicts out. No I/O.

`formats` is the registry of every kind of output, the formats it comes in and the function for each.
"""
