from flask import Flask

from panel.extensions import db


def create_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = "mysql+pymysql://panel@db/panel"
    db.init_app(app)
    from panel.views import blueprint

    app.register_blueprint(blueprint)
    return app
