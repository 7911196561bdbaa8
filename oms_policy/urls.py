from django.urls import path

from oms_policy import views

app_name = "oms_policy"

urlpatterns = [
    path("", views.request_list, name="request-list"),
    path("<int:request_id>/", views.request_detail, name="request-detail"),
]
