import datetime

from sqlalchemy import Column, DateTime, Integer, String
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class StockItem(Base):
    __tablename__ = "stock"

    sku = Column(String(32), primary_key=True)
    quantity = Column(Integer, nullable=False, default=0)
    reserved = Column(Integer, nullable=False, default=0)


class Movement(Base):
    __tablename__ = "movements"

    id = Column(Integer, primary_key=True)
    sku = Column(String(32), nullable=False)
    delta = Column(Integer, nullable=False)
    user = Column(String(64))
    at = Column(DateTime, default=datetime.datetime.utcnow)
