from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RegistrationMode(models.TextChoices):
    OPEN = "open", _("Open: anyone can sign up")
    APPROVAL = "approval", _("Approval: people apply, and a moderator accepts or declines")
    INVITE = "invite", _("Invite only: people sign up with an invite link")
    CLOSED = "closed", _("Closed: nobody can sign up")


class InvitePolicy(models.TextChoices):
    MEMBERS = "members", _("Every member")
    STAFF = "staff", _("Only staff who may invite (admins, and roles with that permission)")


class Theme(models.TextChoices):
    MEADOW = "meadow", _("Meadow: green on warm white")
    HARBOUR = "harbour", _("Harbour: blue on cool grey")
    INK = "ink", _("Ink: high contrast black and white")


class ColorMode(models.TextChoices):
    SYSTEM = "system", _("Follow the device's setting")
    LIGHT = "light", _("Always light")
    DARK = "dark", _("Always dark")


class SmtpSecurity(models.TextChoices):
    STARTTLS = "starttls", _("STARTTLS (usually port 587)")
    SSL = "ssl", _("SSL/TLS from the start (usually port 465)")
    NONE = "none", _("None (only for a mail server on the same machine or network)")


class SiteSettings(models.Model):
    """The operator's settings, edited from the dashboard: one row (pk 1). Read through
    `townsquare.site.state`, which keeps it for a few seconds in each process."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    # Who the site is
    name = models.CharField(max_length=60, blank=True)  # "" = TOWNSQUARE_SITE_NAME
    description = models.TextField(max_length=1000, blank=True)
    contact_email = models.EmailField(max_length=254, blank=True)
    logo = models.CharField(max_length=200, blank=True)  # storage path
    favicon = models.CharField(max_length=200, blank=True)  # storage path
    # Appearance
    theme = models.CharField(max_length=16, choices=Theme.choices, default=Theme.MEADOW)
    color_mode = models.CharField(max_length=8, choices=ColorMode.choices, default="system")
    accent_color = models.CharField(max_length=7, blank=True)  # "#rrggbb"; "" = the theme's
    background_color = models.CharField(max_length=7, blank=True)
    custom_css = models.TextField(blank=True)
    footer_md = models.TextField(blank=True)
    about_md = models.TextField(blank=True)
    terms_md = models.TextField(blank=True)
    privacy_md = models.TextField(blank=True)
    # Shown on the rules page under the numbered rules (what they mean, how they are enforced).
    rules_md = models.TextField(blank=True, default="", db_default="")
    # The language for visitors whose browser asks for none the site speaks (and for emails
    # to members who chose none): a code of settings.LANGUAGES.
    default_language = models.CharField(max_length=12, default="en")
    # Who may join
    registration_mode = models.CharField(
        max_length=8, choices=RegistrationMode.choices, default=RegistrationMode.OPEN
    )
    approval_question = models.CharField(max_length=300, blank=True)
    invite_policy = models.CharField(
        max_length=8, choices=InvitePolicy.choices, default=InvitePolicy.MEMBERS
    )
    allowed_email_domains = models.TextField(blank=True)  # one per line; empty: any
    blocked_email_domains = models.TextField(blank=True)  # one per line
    min_age = models.PositiveSmallIntegerField(default=0)  # 0: no age question
    # Against spam sign-ups (townsquare.accounts.signup_guard): the browser's proof of work
    # on the sign-up form; sign-ups wait for approval when no staff member acted for this
    # many days (0: never), or for a few hours after more attempts than this in an hour
    # (0: never).
    signup_proof_of_work = models.BooleanField(default=True)
    approval_when_staff_idle_days = models.PositiveSmallIntegerField(default=14)
    signup_burst_per_hour = models.PositiveIntegerField(default=30)
    # Staff (anyone with a permission) must use two-factor authentication to open staff pages.
    require_staff_2fa = models.BooleanField(default=False)
    # Evidence hold (townsquare.moderation.evidence): posts removed by moderators, and the
    # content of accounts suspended until lifted, are kept hidden this many days for lawful
    # requests, then deleted.
    evidence_hold_days = models.PositiveSmallIntegerField(default=180)
    # Limits (None: the environment's TOWNSQUARE_MAX_* value; see townsquare.site.limits,
    # which also keeps the upload sizes within the environment's, the web server's hard cap)
    max_post_length = models.PositiveIntegerField(null=True, blank=True)  # characters
    max_media_per_post = models.PositiveSmallIntegerField(null=True, blank=True)
    max_image_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    max_video_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    # First run: `townsquare serve` on a new site stores the hash of a one-time setup link;
    # while it is set nobody can sign up. The wizard clears it and records when it finished.
    setup_token_hash = models.CharField(max_length=64, blank=True)
    setup_done_at = models.DateTimeField(null=True, blank=True)
    # Outgoing mail (townsquare.site.email): with a host, these replace TOWNSQUARE_EMAIL_URL.
    # The password is stored as given (like TOWNSQUARE_EMAIL_URL) and never shown again.
    smtp_host = models.CharField(max_length=253, blank=True)
    smtp_port = models.PositiveIntegerField(null=True, blank=True)  # None: the mode's usual
    smtp_username = models.CharField(max_length=254, blank=True)
    smtp_password = models.CharField(max_length=500, blank=True)
    smtp_security = models.CharField(
        max_length=8, choices=SmtpSecurity.choices, default=SmtpSecurity.STARTTLS
    )
    email_from = models.CharField(max_length=254, blank=True)  # "" = TOWNSQUARE_EMAIL_FROM
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name or "site settings"
