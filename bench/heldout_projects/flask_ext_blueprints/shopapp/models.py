from .extensions import db


class Order(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    customer_id = db.Column(db.Integer, nullable=False)
    total = db.Column(db.Numeric(10, 2))
    status = db.Column(db.String(16), default="new")

    def as_dict(self):
        return {"id": self.id, "total": str(self.total), "status": self.status}
