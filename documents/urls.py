from django.urls import path

from documents import views

app_name = "documents"

urlpatterns = [
    path("upload/<int:request_id>/<str:slot>/", views.upload, name="upload"),
    path("status/<int:request_id>/", views.status, name="status"),
    path("request/<int:request_id>/", views.request_documents, name="request-documents"),
    path("<uuid:document_uuid>/", views.download, name="download"),
    path("<uuid:document_uuid>/preview/", views.preview, name="preview"),
    path("<uuid:document_uuid>/delete/", views.delete, name="delete"),
]
