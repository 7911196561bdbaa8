"""«Мой полис» (/policy/) and the public verification page (/verify/<token>/), included at the root."""

from django.urls import path

from oms_policy import policy_views

app_name = "policy"

urlpatterns = [
    path("policy/", policy_views.my_policy, name="my-policy"),
    path("policy/documents/<uuid:document_id>.pdf", policy_views.document_pdf, name="document-pdf"),
    path("verify/<str:token>/", policy_views.verify, name="verify"),
]
