"""reviewflow engine: load, validate and run declarative safeguarding review processes.

The library never prints, never exits, never reads the clock: callers pass time in.
"""
