"""Capture: the proxy every browser talks through, what it records at the wire, and how it answers hosts.

The lowest layer but for errors and resources: it knows nothing of scenarios, rules or replays.
"""
