from fastapi import FastAPI

from .database import Base, SessionLocal, engine
from .routers import items, users

Base.metadata.create_all(bind=engine)

app = FastAPI()
app.include_router(items.router)
app.include_router(users.router)

startup_db = SessionLocal()  # expect: SQS101


@app.get("/health")
def health():
    with SessionLocal() as db:
        db.execute("SELECT 1")
    return {"status": "ok"}
