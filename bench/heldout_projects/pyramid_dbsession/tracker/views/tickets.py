from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config
from sqlalchemy.exc import IntegrityError

from ..models import DBSession, Ticket


@view_config(route_name="ticket_new", renderer="json", request_method="POST")
def new_ticket(request):
    ticket = Ticket(title=request.json_body["title"], body=request.json_body.get("body"))
    try:
        DBSession.add(ticket)
        DBSession.flush()
    except IntegrityError:  # expect: SQS301
        return {"error": "a ticket with this title exists"}
    return {"id": ticket.id}


@view_config(route_name="ticket_close", request_method="POST")
def close_ticket(request):
    ticket = DBSession.get(Ticket, int(request.matchdict["id"]))
    ticket.state = "closed"
    return HTTPFound(location=request.route_url("ticket", id=ticket.id))
