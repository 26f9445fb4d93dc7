from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for

from panel.extensions import db
from panel.models import User
from .utils import users
from panel.utils.users import delete

blueprint = Blueprint("users", __name__)


@blueprint.route("/users/<int:user_id>/rename", methods=["POST"])
def rename_user(user_id):
    # The helper swallows its error; the view only answers: Flask-SQLAlchemy then removes
    # the session, failed or not.  Quiet.
    messages = users.rename(user_id, request.form["name"])
    for error in messages["error"]:
        flash(error, "error")
    return jsonify(data={"messages": messages})


@blueprint.route("/users/<int:user_id>/delete", methods=["POST"])
def delete_user(user_id):
    messages = delete(user_id)
    # The same request queries again through the failed session: reported in the helper.
    listed = User.query.all()
    return render_template("users.html", users=listed, messages=messages)


@blueprint.route("/users/touch", methods=["POST"])
def touch_users():
    for user_id in request.form.getlist("user_id"):
        users.touch(user_id)  # in a loop: the next call uses the failed session
    return redirect(url_for("users.index"))


@blueprint.route("/users/<int:user_id>/promote", methods=["POST"])
def promote_user(user_id):
    # The view's own handler, and the view then only redirects: quiet.
    try:
        User.query.get(user_id).admin = True
        db.session.commit()
    except Exception as error:
        flash("Error: {err}".format(err=error), "error")
    return redirect(url_for("users.index"))


@blueprint.route("/users/<int:user_id>/demote", methods=["POST"])
def demote_user(user_id):
    try:
        User.query.get(user_id).admin = False
        db.session.commit()
    except Exception:  # expect: SQS301
        flash("Error", "error")
    # The page's template reads through the failed session: reported.
    return render_template("users.html", users=User.query.all())
