from django.urls import path

from oms_policy import views

app_name = "oms_policy"

urlpatterns = [
    path("", views.request_list, name="request-list"),
    path("services/", views.service_list, name="service-list"),
    path("services/<slug:slug>/", views.service_detail, name="service-detail"),
    path("services/<slug:slug>/start/", views.request_start, name="request-start"),
    path("<int:request_id>/", views.request_detail, name="request-detail"),
    path("<int:request_id>/step/<int:step>/", views.request_step, name="request-step"),
    path("<int:request_id>/submit/", views.request_submit, name="request-submit"),
    path("<int:request_id>/delete/", views.request_delete, name="request-delete"),
    path("<int:request_id>/status/", views.request_status, name="request-status"),
    path("<int:request_id>/withdraw/", views.request_withdraw, name="request-withdraw"),
    path("<int:request_id>/resubmit/", views.request_resubmit, name="request-resubmit"),
    path("<int:request_id>/documents/send/", views.request_documents_send, name="request-documents-send"),
]
