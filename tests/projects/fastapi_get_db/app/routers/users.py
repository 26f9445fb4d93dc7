import logging

from fastapi import APIRouter

from .. import models
from ..database import SessionLocal

router = APIRouter(prefix="/users")
log = logging.getLogger(__name__)


@router.get("/")
def list_users(skip: int = 0, limit: int = 100):
    db = SessionLocal()  # expect: SQS104
    return db.query(models.User).offset(skip).limit(limit).all()


@router.get("/export")
def export_users(limit: int = 1000, db=SessionLocal()):  # expect: SQS103
    return db.query(models.User).limit(limit).all()


@router.post("/{user_id}/deactivate")
def deactivate(user_id: int):
    with SessionLocal.begin() as db:
        db.get(models.User, user_id).is_active = False
    return {"ok": True}


class UserRepository:
    session = SessionLocal()  # expect: SQS103

    def by_email(self, email):
        return self.session.query(models.User).filter_by(email=email).first()
