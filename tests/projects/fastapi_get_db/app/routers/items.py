import logging

from fastapi import APIRouter, Depends, HTTPException
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import models
from ..database import get_db

router = APIRouter(prefix="/items")
log = logging.getLogger(__name__)


@router.get("/{item_id}")
def read_item(item_id: int, db: Session = Depends(get_db)):
    item = db.get(models.Item, item_id)
    if item is None:
        raise HTTPException(status_code=404)
    return item


@router.post("/")
def create_item(title: str, owner_id: int, db: Session = Depends(get_db)):
    item = models.Item(title=title, owner_id=owner_id)
    try:
        db.add(item)
        db.commit()
    except IntegrityError:  # the route's last use of its session, which get_db closes: quiet
        log.info("duplicate item %s", title)
        return {"created": False}
    return {"created": True, "id": item.id}


@router.put("/{item_id}")
def rename_item(item_id: int, title: str, db: Session = Depends(get_db)):
    item = db.get(models.Item, item_id)
    try:
        item.title = title
        db.commit()
    except IntegrityError:  # expect: SQS301
        log.info("duplicate title %s", title)
    db.refresh(item)
    return {"id": item.id, "title": item.title}


@router.delete("/{item_id}")
def delete_item(item_id: int, db: Session = Depends(get_db)):
    try:
        db.delete(db.get(models.Item, item_id))
        db.commit()
    except IntegrityError:
        db.rollback()
        raise HTTPException(status_code=409, detail="item is referenced")
    return {"deleted": True}
