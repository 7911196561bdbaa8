# Support: the online chat with operators and the look-up of a request by its number (issue 9, 11).
from django.urls import path

from support import lookup_views

app_name = "support"

urlpatterns: list = [
    path("lookup/", lookup_views.lookup, name="lookup"),
    path("lookup/<int:pk>/call-note/", lookup_views.call_note, name="lookup-call-note"),
]
