"""Pure rendering functions: model values in, strings or JSON-ready dicts out. No I/O."""
