"""Each request checks a connection out of the pool for one query (async)."""
from sqlalchemy import text

from asyncshop import settings


async def stock_level(sku):
    async with settings.ENGINE.connect() as connection:
        result = await connection.execute(text("SELECT quantity FROM stock WHERE sku = :sku"), {"sku": sku})
        return result.scalar_one()
