from sqlalchemy import text

from .deps import ASess, Sess, engine

conn = engine.connect()  # expect: SQS102
BACKGROUND = ASess()  # expect: SQS101


def nightly(db=Sess()):  # expect: SQS103
    db.execute(text("CALL nightly()"))
    db.commit()


async def refresh():
    await BACKGROUND.execute(text("REFRESH MATERIALIZED VIEW totals"))
    await BACKGROUND.commit()


def vacuum():
    with engine.begin() as c:
        c.execute(text("OPTIMIZE TABLE orders"))
