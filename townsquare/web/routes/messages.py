"""URL patterns for the direct-message pages (included by townsquare/urls.py)."""

from django.urls import URLPattern, path

from townsquare.web.views import messages

urlpatterns: list[URLPattern] = [
    path("messages", messages.inbox, name="messages"),
    path("messages/requests", messages.requests, name="message_requests"),
    path("messages/new", messages.new, name="new_conversation"),
    path("messages/<id:conversation_id>", messages.conversation, name="conversation"),
    path("messages/<id:conversation_id>/send", messages.send, name="send_message"),
    path("messages/<id:conversation_id>/thread", messages.thread, name="conversation_thread"),
    path("messages/<id:conversation_id>/typing", messages.typing, name="typing"),
    path("messages/<id:conversation_id>/mute", messages.mute, name="mute_conversation"),
    path("messages/<id:conversation_id>/leave", messages.leave, name="leave_conversation"),
    path("messages/<id:conversation_id>/answer", messages.answer, name="answer_request"),
    path("messages/<id:conversation_id>/add", messages.add_people, name="add_to_conversation"),
    path(
        "messages/<id:conversation_id>/<id:message_id>/unsend",
        messages.unsend,
        name="unsend_message",
    ),
    path(
        "messages/<id:conversation_id>/<id:message_id>/delete",
        messages.delete_for_me,
        name="delete_message",
    ),
]
