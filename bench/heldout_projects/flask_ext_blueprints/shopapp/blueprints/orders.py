from flask import Blueprint, current_app, flash, jsonify, redirect, request, url_for
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..models import Order

bp = Blueprint("orders", __name__)


@bp.post("/")
def place():
    order = Order(customer_id=request.form["customer"], total=request.form["total"])
    try:
        db.session.add(order)
        db.session.commit()
    except Exception:  # expect: SQS301
        flash("Could not place the order, please try again.")
    return redirect(url_for("orders.show", order_id=order.id))


@bp.post("/<int:order_id>/refund")
def refund(order_id):
    dbs = db.session
    try:
        dbs.execute(text("UPDATE orders SET status = 'refunded' WHERE id = :id"), {"id": order_id})
        dbs.commit()
    except SQLAlchemyError:  # expect: SQS301
        current_app.logger.exception("refund failed")
        return jsonify(error="refund failed"), 500
    return jsonify(ok=True)


@bp.get("/<int:order_id>")
def show(order_id):
    return jsonify(db.get_or_404(Order, order_id).as_dict())


@bp.delete("/<int:order_id>")
def cancel(order_id):
    try:
        db.session.delete(db.session.get(Order, order_id))
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(ok=False), 409
    return jsonify(ok=True)


@bp.post("/logout")
def logout():
    from shopapp import session as web_session

    try:
        web_session.delete(request.cookies.get("sid"))
    except Exception:
        pass
    return redirect(url_for("orders.place"))
