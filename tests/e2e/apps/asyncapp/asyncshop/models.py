"""The tables of the async shop.

Declared as SQLAlchemy 1.4, 2.0 and 2.1 all accept it (the end-to-end tests run on each)."""
from sqlalchemy import Column, Integer, String
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class Customer(Base):
    __tablename__ = "customers"

    id = Column(Integer, primary_key=True, autoincrement=True)
    name = Column(String(50), nullable=False)
    total = Column(Integer, nullable=False)


class User(Base):
    __tablename__ = "users"

    id = Column(Integer, primary_key=True, autoincrement=True)
    email = Column(String(100), unique=True, nullable=False)


class Stock(Base):
    __tablename__ = "stock"

    sku = Column(String(20), primary_key=True)
    quantity = Column(Integer, nullable=False)
