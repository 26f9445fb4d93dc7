import os

from flask import Blueprint, jsonify
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from shopapp.extensions import db

bp = Blueprint("admin", __name__)

report_engine = create_engine(os.environ["REPORTING_URL"])  # expect: SQS201


@bp.get("/stats")
def stats():
    s = Session(bind=report_engine)  # expect: SQS104
    total = s.execute(text("SELECT COUNT(*) FROM orders")).scalar()
    return jsonify(total=total)


@bp.post("/reindex")
def reindex():
    with db.engine.connect() as conn:
        conn.execute(text("ANALYZE TABLE orders"))
    return jsonify(ok=True)


class OrderAdmin:
    session = db.session

    def pending(self):
        return self.session.execute(text("SELECT id FROM orders WHERE status = 'pending'")).all()
