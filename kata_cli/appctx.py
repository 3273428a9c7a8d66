"""What the global options resolved to: the `ctx.obj` of every command."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import click

from kata_cli.errors import UsageError
from kata_cli.host import Host

if TYPE_CHECKING:
    from kata_cli.config.model import Config


@dataclass
class AppContext:
    host: Host
    config_path: str | None = None
    log_path: str | None = None
    log_format: str = "text"
    _configs: dict[tuple[str | None, bool], Config] = field(default_factory=dict, repr=False)

    @classmethod
    def create(
        cls,
        *,
        config_path: str | None = None,
        host_root: str = "/",
        log_path: str | None = None,
        log_format: str = "text",
    ) -> AppContext:
        if not os.path.isdir(host_root):
            raise UsageError(f"--host-root {host_root}: not a directory")
        app = cls(Host(host_root), config_path, log_path, log_format)
        if log_path:
            from kata_cli.logsetup import configure

            configure(log_path, log_format)
        return app

    def load_config(self, flavour: str | None = None, allow_embedded: bool = True) -> Config:
        """Load (once) the configuration; notices such as "embedded default used" go to stderr."""
        cache_key = (flavour, allow_embedded)
        if cache_key not in self._configs:
            from kata_cli.config import load
            from kata_cli.render.terminal import note

            config = load(
                self.host,
                explicit=self.config_path,
                flavour=flavour,
                allow_embedded=allow_embedded,
            )
            for text in config.notices:
                note(text)
            self._configs[cache_key] = config
        return self._configs[cache_key]


def app_context() -> AppContext:
    """The AppContext of the running command (a default one outside the CLI, e.g. in tests)."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        obj = ctx.find_object(AppContext)
        if obj is not None:
            return obj
    return AppContext(Host(os.environ.get("KATA_HOST_ROOT", "/")))


pass_app = click.make_pass_decorator(AppContext)


MAX_SECONDS = 7 * 24 * 3600.0


class Seconds(click.FloatRange):
    """A duration option: finite, at least `min`, at most a week.

    Plain FloatRange lets nan, inf and 1e309 through; they overflow time_t and
    thread-wait limits deep inside a command instead of failing as usage errors.
    """

    def __init__(self, min: float, *, min_open: bool = False) -> None:
        super().__init__(min=min, max=MAX_SECONDS, min_open=min_open)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        seconds = super().convert(value, param, ctx)
        if math.isnan(seconds):
            self.fail(f"{value!r} is not a number of seconds.", param, ctx)
        return seconds


def flavour_option(func: click.decorators.FC) -> click.decorators.FC:
    """`--flavour go|rs` for commands that need to override the detected flavour."""
    return click.option(
        "--flavour",
        type=click.Choice(["go", "rs"]),
        default=None,
        help="Configuration flavour: Go runtime or runtime-rs (default: detected).",
    )(func)
