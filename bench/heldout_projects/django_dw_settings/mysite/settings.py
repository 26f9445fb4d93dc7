import os

from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

SECRET_KEY = os.environ["SECRET_KEY"]
DEBUG = os.environ.get("DEBUG") == "1"
INSTALLED_APPS = ["django.contrib.auth", "django.contrib.contenttypes", "dashboard"]
ROOT_URLCONF = "dashboard.urls"

DATABASES = {
    "default": {"ENGINE": "django.db.backends.postgresql", "NAME": "site", "CONN_MAX_AGE": 60},
}

# The data warehouse is not a Django database: SQLAlchemy talks to it.
DW_ENGINE = create_engine(os.environ["DW_URL"], pool_pre_ping=True)  # expect-opt-in: SQS401
DW_MAKER = sessionmaker(bind=DW_ENGINE)  # expect-opt-in: SQS401
DW_SESSION = DW_MAKER()  # expect: SQS101  # expect-opt-in: SQS401
