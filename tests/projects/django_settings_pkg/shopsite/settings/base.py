"""Settings shared by every environment."""
import os
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.orm import scoped_session, sessionmaker

BASE_DIR = Path(__file__).resolve().parent.parent.parent
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev-only")
DEBUG = False
ALLOWED_HOSTS = ["shop.example.com"]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "orders",
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.mysql",
        "NAME": "shop",
        "HOST": os.environ.get("DB_HOST", "localhost"),
    }
}

# Reporting queries go straight to the database through SQLAlchemy.
BASE_DB_ENGINE = create_engine(os.environ["REPORTING_DATABASE_URL"])  # expect: SQS201  # expect-opt-in: SQS401
BASE_DB_SESSION_MAKER = sessionmaker(bind=BASE_DB_ENGINE)  # expect-opt-in: SQS401
BASE_DB_SESSION = BASE_DB_SESSION_MAKER()  # expect: SQS101  # expect-opt-in: SQS401
REPORTING_DB = scoped_session(BASE_DB_SESSION_MAKER)  # expect-opt-in: SQS401
