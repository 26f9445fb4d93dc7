import logging

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from core.db import AsyncSessionLocal
from services.models import Order

log = logging.getLogger(__name__)


async def place_order(customer_id, lines):
    session = AsyncSessionLocal()  # expect: SQS104
    order = Order(customer_id=customer_id, lines=lines)
    session.add(order)
    await session.commit()
    return order.id


async def get_order(order_id):
    async with AsyncSessionLocal() as session:
        return await session.get(Order, order_id)


async def cancel(order_id):
    async with AsyncSessionLocal() as session:
        try:
            order = await session.get(Order, order_id)
            order.status = "cancelled"
            await session.commit()
        except SQLAlchemyError:
            await session.rollback()
            log.exception("cancel failed")
            raise


async def archive_old(before):
    db = AsyncSessionLocal()
    try:
        result = await db.execute(select(Order).where(Order.created_at < before))
        for order in result.scalars():
            order.archived = True
        await db.commit()
    except SQLAlchemyError:  # expect: SQS301
        log.error("archiving failed")
    left = await db.execute(select(Order).where(Order.archived.is_(False)))  # the failed session, used again
    log.info("%d orders left", len(left.all()))
    await db.close()
