import os

DATABASE_URL = os.environ.get("BILLING_DATABASE_URL", "mysql+pymysql://billing@localhost/billing")
POOL_SIZE = int(os.environ.get("BILLING_POOL_SIZE", "5"))
