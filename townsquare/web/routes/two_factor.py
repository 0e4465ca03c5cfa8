"""URL patterns for two-factor authentication: the login's second step and the settings page
(included by townsquare/urls.py)."""

from django.urls import URLPattern, path

from townsquare.web.views import two_factor

urlpatterns: list[URLPattern] = [
    path("login/code", two_factor.login_code, name="login_code"),
    path("settings/two-factor", two_factor.settings_page, name="two_factor_settings"),
]
