from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from shop.probe import is_mariadb


def test_sqlite_is_not_mariadb():
    engine = create_engine("sqlite://")
    with Session(engine) as session:
        assert not is_mariadb(session)
