"""Exceptions raised by derive; the CLI turns each into a one-line message and an exit code."""


class DeriveError(Exception):
    """Base class of every error derive reports to a user."""


class NoRuleError(DeriveError):
    """A derivative was needed of an expression that no differentiation rule covers."""


class VerificationError(DeriveError):
    """A step could not be proved or numerically confirmed: it is never shown."""


class InputError(DeriveError):
    """Bad input from a user: unknown name, unreadable file, bad option."""


class BuildError(DeriveError):
    """The LaTeX/PDF build failed; the message carries the relevant log lines."""
