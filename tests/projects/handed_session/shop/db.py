from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

engine = create_engine("postgresql+psycopg://shop@db/shop", pool_pre_ping=True)
SessionLocal = sessionmaker(bind=engine)
