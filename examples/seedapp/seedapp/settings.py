"""Django settings for the seed scenario: the SQLAlchemy set-up every request shares."""
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

DEBUG = False
SECRET_KEY = "example-only"
INSTALLED_APPS = ["shop"]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.mysql",
        "NAME": "shop",
    }
}

# Reporting queries go straight to MySQL through SQLAlchemy.
BASE_DB_ENGINE = create_engine("mysql+pymysql://shop:shop@localhost/shop")
BASE_DB_SESSION_MAKER = sessionmaker(bind=BASE_DB_ENGINE)
BASE_DB_SESSION = BASE_DB_SESSION_MAKER()
