from flask import Flask

from .extensions import db


def create_app(config_object="shopapp.config.Production"):
    app = Flask(__name__)
    app.config.from_object(config_object)
    db.init_app(app)

    from .blueprints import admin, orders

    app.register_blueprint(orders.bp, url_prefix="/orders")
    app.register_blueprint(admin.bp, url_prefix="/admin")
    return app
