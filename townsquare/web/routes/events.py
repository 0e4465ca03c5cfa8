"""URL patterns for the event pages (included by townsquare/urls.py)."""

from django.urls import URLPattern, path

from townsquare.web.views import events

urlpatterns: list[URLPattern] = [
    path("events", events.calendar, name="events"),
    path("events/new", events.create, name="new_event"),
    path("events/<id:event_id>", events.event_page, name="event"),
    path("events/<id:event_id>/edit", events.edit, name="edit_event"),
    path("events/<id:event_id>/answer", events.answer, name="answer_event"),
    path("events/<id:event_id>/cancel", events.cancel, name="cancel_event"),
    path("events/<id:event_id>/delete", events.delete, name="delete_event"),
    path("events/<id:event_id>/ics", events.ics_file, name="event_ics"),
]
