from flask import Flask

from .database import db_session, init_db


def create_app():
    app = Flask(__name__)
    app.config.from_prefixed_env()

    from . import views

    app.register_blueprint(views.bp)
    init_db()

    @app.teardown_appcontext
    def shutdown_session(exception=None):
        db_session.remove()

    return app
