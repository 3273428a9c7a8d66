"""click glue shared by the command modules: the `AppContext` decorator, option types
and common options. The only place besides `cli.py` and the command modules that knows
click; the core takes plain values.
"""

from __future__ import annotations

import math
from typing import Any

import click

from kata_cli.appctx import AppContext

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


class Percent(click.FloatRange):
    """A percentage, 0 to 100. Plain FloatRange lets nan through (every comparison with
    it is false), which made `--fail-under nan` a gate that never fails."""

    def __init__(self) -> None:
        super().__init__(min=0, max=100)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        percent = super().convert(value, param, ctx)
        if math.isnan(percent):
            self.fail(f"{value!r} is not a percentage.", param, ctx)
        return percent


def flavour_option(func: click.decorators.FC) -> click.decorators.FC:
    """`--flavour go|rs` for commands that need to override the detected flavour."""
    return click.option(
        "--flavour",
        type=click.Choice(["go", "rs"]),
        default=None,
        help="Configuration flavour: Go runtime or runtime-rs (default: detected).",
    )(func)
