import logging

from fastapi import APIRouter, Depends
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import ASess, get_async_db, get_sync

router = APIRouter()
log = logging.getLogger(__name__)


@router.get("/orders/{order_id}")
async def order(order_id: int):
    s = ASess()  # expect: SQS104
    row = (await s.execute(text("SELECT * FROM orders WHERE id = :i"), {"i": order_id})).one()
    return dict(row._mapping)


@router.get("/legacy/report")
def legacy_report():
    s = get_sync()  # expect: SQS104
    return [dict(r._mapping) for r in s.execute(text("SELECT * FROM report"))]


@router.post("/orders/{order_id}/ship")
async def ship(order_id: int, db: AsyncSession = Depends(get_async_db)):
    try:
        await db.execute(text("UPDATE orders SET shipped = 1 WHERE id = :i"), {"i": order_id})
        await db.commit()
    except SQLAlchemyError:
        await db.rollback()
        raise
    return {"ok": True}


@router.post("/orders/{order_id}/note")
async def note(order_id: int, body: str):
    async with ASess() as s:
        try:
            await s.execute(text("INSERT INTO notes (order_id, body) VALUES (:i, :b)"), {"i": order_id, "b": body})
            await s.commit()
        except SQLAlchemyError:  # expect: SQS301
            log.warning("note lost for %s", order_id)
        await s.execute(text("UPDATE orders SET noted = 1 WHERE id = :i"), {"i": order_id})
    return {"ok": True}


@router.delete("/orders/{order_id}/reservation")
async def release(order_id: int):
    from api.clients import INVENTORY_URL, Session

    session = Session(timeout=5)
    try:
        await session.delete(f"{INVENTORY_URL}/reservations/{order_id}")
    except Exception:
        log.warning("reservation %s not released", order_id)
    return {"ok": True}
