from sqlalchemy.orm import Session


class TenantSession(Session):
    """A session that scopes every query to one tenant."""

    def __init__(self, tenant_id, **kwargs):
        super().__init__(**kwargs)
        self.info["tenant_id"] = tenant_id
