"""Options built from what scenarios declare, and the few every command shares."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import click

from vtrace.catalog import ERAS
from vtrace.cli.env import current
from vtrace.i18n import LANGS
from vtrace.scenarios import Param

__all__ = [
    "era_option",
    "lang_option",
    "param_options",
    "seed_option",
    "stacked",
]

F = TypeVar("F", bound=Callable[..., Any])


def stacked(options: list[Callable[[F], F]]) -> Callable[[F], F]:
    """One decorator that adds ``options`` in the order given (as ``--help`` lists them)."""
    def decorate(function: F) -> F:
        for option in reversed(options):
            function = option(function)
        return function

    return decorate


era_option = click.option("--era", type=click.Choice(sorted(ERAS)), default="modern",
                          show_default=True, help="Which Linux and QEMU versions to replay.")
seed_option = click.option("--seed", type=int, default=1, show_default=True,
                           help="Seed of the modelled timing.")


def _checked(param: Param) -> Callable[[click.Context, click.Parameter, Any], Any]:
    def check(ctx: click.Context, option: click.Parameter, value: Any) -> Any:
        problem = param.problem(value)
        if problem is not None:
            raise click.BadParameter(problem, ctx, option)
        return value

    return check


def _option(param: Param, default: Any, checked: bool) -> Callable[[F], F]:
    if param.kind is bool:
        return click.option(f"--{param.flag}/--no-{param.flag}", param.name, default=default,
                            show_default=True, help=param.help)
    names = [f"--{param.flag}", *([param.short] if param.short else [])]
    if param.kind is str:
        text = click.Choice([str(c) for c in param.choices]) if param.choices else click.STRING
        return click.option(*names, param.name, type=text,
                            default=default, show_default=True, help=param.help)
    kind = click.INT if param.kind is int and param.scale == 1 else click.FLOAT
    return click.option(*names, param.name, type=kind, default=default, show_default=True,
                        callback=_checked(param) if checked else None, help=param.help)


def param_options(params: Iterable[Param], defaults: Mapping[str, Any] | None = None,
                  checked: bool = True) -> Callable[[F], F]:
    """An option per parameter (in the option's unit), each checked as the scenario checks it;
    ``defaults`` overrides a parameter's default for this command. A command serving several
    scenarios passes ``checked=False``: the scenario it replays checks the values as it
    settles them, by its own parameters (a TCP send's ``--size`` goes past a UDP frame's)."""
    defaults = defaults or {}
    return stacked([_option(param, defaults.get(param.name, param.shown_default), checked)
                    for param in params])


def _environment_lang() -> str:
    return current().lang()


def lang_option(function: F) -> F:
    return click.option("--lang", type=click.Choice(LANGS), default=_environment_lang,
                        help="Language of explanations (default: VTRACE_LANG or the locale).")(
        function)
