"""Typed errors. The library raises them; `cli.main()` turns them into one line and a status."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143  # 128 + SIGTERM

# How much of a peer's answer, URL or value an error message quotes.
MAX_QUOTED = 1024


def excerpt(text: str, limit: int = MAX_QUOTED) -> str:
    """At most `limit` characters of untrusted text for a message, saying how much was cut.

    Control characters other than newline and tab are escaped, so a peer cannot drive
    the terminal through an error line.
    """
    cut = len(text) - limit
    shown = text[:limit] if cut > 0 else text
    if not shown.isprintable():
        shown = "".join(c if c.isprintable() or c in "\n\t" else repr(c)[1:-1] for c in shown)
    return f"{shown}... ({cut} more characters)" if cut > 0 else shown


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C would be: every cleanup for Ctrl-C runs for it too
    (children killed, partial outputs removed); `cli.run` exits 143 instead of 130."""


class KataError(Exception):
    """A failure the user can act on: one line of message, an optional hint."""

    exit_code = EXIT_FAILURE

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message

    def one_line(self) -> str:
        text = self.message
        if self.hint:
            text = f"{text} ({self.hint})"
        return " ".join(text.splitlines())


class UsageError(KataError):
    """Bad command-line input detected after click parsed it."""

    exit_code = EXIT_USAGE


class ConfigError(KataError):
    """The configuration could not be found, read, parsed or validated."""


class ConfigNotFound(ConfigError):
    """No configuration file: the one named (`explicit`: --config, KATA_CONF_FILE) does not
    exist, or none of the default paths resolves and no embedded default may stand in."""

    def __init__(self, message: str, hint: str | None = None, *, explicit: bool) -> None:
        super().__init__(message, hint)
        self.explicit = explicit


class HostError(KataError):
    """The host (or host root) could not be read as needed."""


class ShimError(KataError):
    """Talking to a shim management socket failed."""


class VerdictFailure(KataError):
    """A command reached a negative verdict that it already rendered (exit 1, no extra line)."""

    def __init__(self, message: str = "", exit_code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.exit_code = exit_code
