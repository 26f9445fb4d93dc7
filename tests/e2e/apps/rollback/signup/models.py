"""The users table: an e-mail address can sign up once.

Declared as SQLAlchemy 1.4, 2.0 and 2.1 all accept it (the end-to-end tests run on each)."""
from sqlalchemy import Column, Integer, String
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class User(Base):
    __tablename__ = "users"

    id = Column(Integer, primary_key=True, autoincrement=True)
    email = Column(String(100), unique=True, nullable=False)
