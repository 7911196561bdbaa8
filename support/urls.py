# Support: the online chat with operators and the look-up of a request by its number (issue 9, 11).
from django.urls import path

from support import console_views, lookup_views, views

app_name = "support"

urlpatterns: list = [
    path("lookup/", lookup_views.lookup, name="lookup"),
    path("lookup/<int:pk>/call-note/", lookup_views.call_note, name="lookup-call-note"),
    # --- chat (issue 11) ---
    path("", views.chat, name="chat"),
    path("send/", views.chat_send, name="chat-send"),
    path("messages/", views.chat_messages, name="chat-messages"),
    path("conversations/<int:conversation_id>/close/", views.chat_close, name="chat-close"),
    path("conversations/<int:conversation_id>/rate/", views.chat_rate, name="chat-rate"),
    path("rate/request/<int:request_id>/", views.rate_request, name="rate-request"),
    path("console/", console_views.queue, name="console"),
    path("console/search/", console_views.search, name="console-search"),
    path("console/<int:conversation_id>/", console_views.conversation, name="console-conversation"),
    path("console/<int:conversation_id>/messages/", console_views.conversation_messages, name="console-messages"),
    path("console/<int:conversation_id>/take/", console_views.conversation_take, name="console-take"),
    path("console/<int:conversation_id>/transfer/", console_views.conversation_transfer, name="console-transfer"),
    path("console/<int:conversation_id>/close/", console_views.conversation_close, name="console-close"),
    # --- end of chat ---
]
