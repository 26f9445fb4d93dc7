"""Does not parse."""
from sqlalchemy.orm import sessionmaker

SessionLocal = sessionmaker(bind=engine

def oops(:
    pass
