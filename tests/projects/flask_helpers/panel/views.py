from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for

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
