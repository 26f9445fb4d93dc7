"""The manager builds the one engine: always a SQLite file."""
import os

from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

Session = sessionmaker()


class Manager:
    def __init__(self, config_dir):
        self.db_filename = os.path.join(config_dir, "tracker.sqlite")
        self.database_uri = f"sqlite:///{self.db_filename}"
        self.engine = None

    def start(self):
        self.engine = create_engine(
            self.database_uri,
            connect_args={"check_same_thread": False, "timeout": 10},
        )
        Session.configure(bind=self.engine)
