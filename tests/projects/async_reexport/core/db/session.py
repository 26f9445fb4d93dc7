from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from core.config import DATABASE_URL

__all__ = ["async_engine", "AsyncSessionLocal"]

async_engine = create_async_engine(DATABASE_URL, pool_pre_ping=True, pool_size=20)
AsyncSessionLocal = async_sessionmaker(async_engine, expire_on_commit=False)
