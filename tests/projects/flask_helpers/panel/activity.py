"""What the views record of what users do, in the database (iris-web's `track_activity()`)."""
from panel.extensions import db
from panel.models import User


def track(user_id, message):
    user = User.query.get(user_id)
    user.last_action = message
    db.session.commit()
    return user
