"""URL patterns for members' reports (included by townsquare/urls.py)."""

from django.urls import URLPattern, path

from townsquare.web.views import my_reports, notice_appeals, notices, reports

urlpatterns: list[URLPattern] = [
    path("report", reports.report, name="report"),
    path("notice", notices.notice, name="notice"),
    path("reports", my_reports.report_list, name="my_reports"),
    path("reports/<id:report_id>", my_reports.report_page, name="my_report"),
    path("reports/<id:report_id>/appeal", my_reports.report_appeal, name="my_report_appeal"),
    path("appeals/notice/<str:token>", notice_appeals.notice_appeal, name="notice_appeal"),
]
