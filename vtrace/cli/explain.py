"""``vtrace explain NAME``: where a function is, who calls it, what it calls, what changed."""

from __future__ import annotations

import click

from vtrace.catalog import ERAS, era, lookup
from vtrace.cli.options import lang_option
from vtrace.renderers.catalog_view import explain_lines

__all__ = ["explain_command"]

EPILOG = """\b
Examples:
  vtrace explain virtio_net_flush_tx
  vtrace explain virtqueue_add --era lesson
  vtrace explain tun_rx_batched --lang zh
"""


@click.command("explain", epilog=EPILOG)
@click.argument("name")
@click.option("--era", "era_name", type=click.Choice(sorted(ERAS)), default="modern",
              show_default=True, help="The era whose callers and callees to show.")
@lang_option
def explain_command(name: str, era_name: str, lang: str) -> None:
    """Explain one step: a catalog key or a function name (e.g. free_old_xmit)."""
    click.echo("\n".join(explain_lines(lookup(name), era(era_name), lang)))
