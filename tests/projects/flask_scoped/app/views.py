from flask import Blueprint, abort, jsonify, request
from sqlalchemy.exc import IntegrityError

from .database import db_session
from .models import Post
from .services import publish

bp = Blueprint("posts", __name__)


@bp.get("/posts/<int:post_id>")
def show(post_id):
    post = db_session.get(Post, post_id)
    if post is None:
        abort(404)
    return jsonify(id=post.id, title=post.title)


@bp.post("/posts")
def create():
    post = Post(title=request.json["title"], body=request.json.get("body"))
    try:
        db_session.add(post)
        db_session.commit()
    except IntegrityError:
        db_session.rollback()
        abort(409)
    return jsonify(id=post.id), 201


@bp.post("/posts/<int:post_id>/view")
def count_view(post_id):
    try:
        db_session.get(Post, post_id).views += 1
        db_session.commit()
    except Exception:  # expect: SQS301
        pass
    return "", 204


@bp.post("/drafts")
def draft():
    """The registry is removed when each request ends: the failed session is the request's alone."""
    try:
        publish(Post(title=request.json["title"]))
    except IntegrityError:
        return jsonify(error="exists"), 409
    return jsonify(ok=True)
