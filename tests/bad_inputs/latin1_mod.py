# Réglages de la base de données (latin-1, no coding cookie)
from sqlalchemy.orm import sessionmaker

SessionLocal = sessionmaker(info={"nom": "usine à sessions"})
