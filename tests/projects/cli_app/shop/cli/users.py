"""Subcommands on a group made in another module (warehouse's layout): each ends the process."""
import click
from sqlalchemy import create_engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shop.cli import shop
from shop.db import SessionLocal


@shop.group()
def users() -> None:
    pass


@users.command()
@click.argument("email")
def invite(email: str) -> None:
    session = SessionLocal()
    session.add(User(email=email))
    try:
        session.commit()
    except IntegrityError:
        click.echo("already invited")


@users.command()
@click.argument("url")
def copy(url: str) -> None:
    other = Session(create_engine(url))
    other.add_all(SessionLocal().query(User).all())
    other.commit()


def nightly(emails: list[str]) -> None:
    """Not a command: a scheduler calls it, and the process goes on."""
    session = SessionLocal()  # expect: SQS104
    for email in emails:
        session.add(User(email=email))
    try:
        session.commit()
    except IntegrityError:  # expect: SQS301
        click.echo("some already invited")
