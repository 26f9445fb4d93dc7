from sqlalchemy import JSON, Boolean, Column, DateTime, Integer, String
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class Order(Base):
    __tablename__ = "orders"

    id = Column(Integer, primary_key=True)
    customer_id = Column(Integer, nullable=False)
    lines = Column(JSON)
    status = Column(String(16), default="open")
    archived = Column(Boolean, default=False)
    created_at = Column(DateTime)
