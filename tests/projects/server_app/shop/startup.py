"""At start-up the shop asks which server it runs on, then goes on with the same session."""
from sqlalchemy import text

from shop.probe import is_mariadb


def configure(session):
    if is_mariadb(session):
        session.execute(text("SET SESSION sql_mode = 'ANSI'"))
    session.execute(text("SELECT 1"))
