import os

from sqlalchemy import create_engine
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import sessionmaker

SYNC_URL = os.environ.get("SYNC_DATABASE_URL", "mysql+pymysql://api@db/api")
ASYNC_URL = os.environ.get("ASYNC_DATABASE_URL", "mysql+aiomysql://api@db/api")

engine = create_engine(SYNC_URL, pool_pre_ping=True)
async_engine = create_async_engine(ASYNC_URL, echo=False)  # expect: SQS201

Sess = sessionmaker(engine)
ASess = async_sessionmaker(async_engine, expire_on_commit=False)


async def get_async_db():
    async with ASess() as s:
        yield s


def get_sync():
    return Sess()
