"""The `shop` command: its subcommands register on this group from the modules beside it."""
import click


@click.group()
def shop() -> None:
    pass
