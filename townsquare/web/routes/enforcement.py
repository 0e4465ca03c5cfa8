"""URL patterns of what restricted members see (included by townsquare/urls.py)."""

from django.urls import URLPattern, path

from townsquare.web.views import appeals, enforcement, statements

urlpatterns: list[URLPattern] = [
    path("suspended", enforcement.suspended, name="account_suspended"),
    path("statements", statements.statement_list, name="statements"),
    path("statements/<id:statement_id>", statements.statement_page, name="statement"),
    path("statements/<id:statement_id>/appeal", appeals.appeal, name="statement_appeal"),
]
