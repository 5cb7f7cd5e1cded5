"""Running scenarios: their format and validation, the step registry, browsers, and one scenario run in one browser.

Produces :class:`harness.run.result.RunResult`, the facts of a run; judging them is for the layers above.
"""
