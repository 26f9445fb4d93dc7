"""Pull contacts from the partner CRM into our database."""
import logging

from app import apiclient, orm
from app.models import Contact

log = logging.getLogger(__name__)


def sync_contacts(token):
    api = apiclient.Session(token)
    db = orm.Session()  # expect: SQS104
    for page in range(1, 50):
        contacts = api.contacts(page)
        if not contacts:
            break
        for data in contacts:
            try:
                db.merge(Contact(id=data["id"], email=data["email"]))
                db.flush()
            except Exception:  # expect: SQS301
                log.warning("skipping contact %s", data["id"])
    db.commit()


def delete_remote(token, contact_id):
    api = apiclient.Session(token)
    try:
        api.delete(f"https://crm.example.com/api/contacts/{contact_id}")
    except Exception:
        log.warning("remote delete failed")
