"""URL patterns for a member's data: the archive, imports, deleting the account (included by
townsquare/urls.py)."""

from django.urls import URLPattern, path

from townsquare.web.views import data

urlpatterns: list[URLPattern] = [
    path("settings/data", data.your_data, name="data_settings"),
    path("settings/data/export", data.request_export, name="request_export"),
    path("settings/data/export/<id:export_id>", data.download_export, name="download_export"),
    path("settings/data/import", data.import_list, name="import_list"),
    path("settings/delete", data.delete_account, name="delete_account"),
    path("account/restore", data.restore_account, name="restore_account"),
]
