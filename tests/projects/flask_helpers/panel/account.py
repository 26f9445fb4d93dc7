import logging

from flask import Blueprint, jsonify, redirect

from panel.activity import track
from panel.extensions import db

blueprint = Blueprint("account", __name__)
logger = logging.getLogger(__name__)


@blueprint.route("/logout/<int:user_id>", methods=["POST"])
def logout(user_id):
    try:
        track(user_id, "logged out")
    except Exception as error:  # expect: SQS301
        logger.error("logout: %s", error)
    # The helper's failed commit left `db.session` failed, and the request goes on with it.
    track(user_id, "left")
    return redirect("/")


@blueprint.route("/login/<int:user_id>", methods=["POST"])
def login(user_id):
    # The view answers from its handler: the request ends, and Flask-SQLAlchemy removes the session.
    try:
        track(user_id, "logged in")
    except Exception as error:
        return jsonify(error=str(error)), 500
    db.session.commit()
    return redirect("/")
