"""Outbox relay: pushes pending notifications to the message bus."""
import asyncio
import logging

from sqlalchemy import text

from core.db import *  # noqa: F401,F403

log = logging.getLogger(__name__)

outbox_session = AsyncSessionLocal()  # expect: SQS101


async def pending(limit=50):
    result = await outbox_session.execute(text("SELECT id, payload FROM outbox WHERE sent = false LIMIT :n"), {"n": limit})
    return result.all()


async def relay(bus):
    while True:
        async with async_engine.connect() as conn:
            rows = await conn.execute(text("SELECT id, payload FROM outbox WHERE sent = false"))
            for row in rows:
                await bus.publish(row.payload)
        await asyncio.sleep(5)


async def mark_sent(ids):
    sess = AsyncSessionLocal()  # expect: SQS104
    await sess.execute(text("UPDATE outbox SET sent = true WHERE id = ANY(:ids)"), {"ids": ids})
    await sess.commit()
