"""URL patterns for the site's own pages, the setup wizard and invites (included by
townsquare/urls.py)."""

from django.urls import URLPattern, path

from townsquare.web.views import announcements, appearance, invites, site_pages

urlpatterns: list[URLPattern] = [
    path("about", site_pages.site_page, {"slug": "about"}, name="about"),
    path("site/custom.css", appearance.custom_css, name="custom_css"),
    path("site/<slug:slug>", site_pages.site_page, name="site_page"),
    path("setup/site", site_pages.setup_site, name="setup_site"),
    path("setup/joining", site_pages.setup_joining, name="setup_joining"),
    path("setup/<str:token>", site_pages.setup_start, name="setup"),
    path("settings/display", appearance.display_settings, name="display_settings"),
    path(
        "announcements/<id:announcement_id>/dismiss",
        announcements.dismiss,
        name="dismiss_announcement",
    ),
    path("settings/invites", invites.invites, name="invites"),
    path("settings/invites/<id:invite_id>/withdraw", invites.revoke, name="revoke_invite"),
]
