"""The harness's error hierarchy: every error a user can cause or meet has a one-line message."""

from __future__ import annotations


class TelltaleError(Exception):
    """Base of every error the harness reports to a user as one line, without a traceback."""


class UsageError(TelltaleError):
    """A command-line option or argument is invalid."""


class ScenarioError(TelltaleError):
    """A scenario file is malformed; the message names ``file:line:column``, the step and what was allowed."""

    def __init__(self, file: str, line: int, column: int, message: str) -> None:
        self.file = file
        self.line = line
        self.column = column
        self.detail = message
        super().__init__(f"{file}:{line}:{column}: {message}")


class BrowserLaunchError(TelltaleError):
    """A browser cannot start; the message says how to install it."""


class StepError(TelltaleError):
    """A scenario step failed while running (an element did not appear, an expectation did not hold)."""


class EnvironmentProblem(TelltaleError):
    """Something outside the harness is missing: the app under test does not answer, a server did not start."""


class WebServerError(EnvironmentProblem):
    """The application's web server did not come up (its command failed, or its URL never answered in time); the
    message is one line: the URL, the seconds waited and the last lines of the server's output."""
