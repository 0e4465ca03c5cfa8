from townsquare.site.models.announcement import Announcement, AnnouncementDismissal
from townsquare.site.models.emoji import CustomEmoji
from townsquare.site.models.ip_block import IpBlock
from townsquare.site.models.rule import Rule
from townsquare.site.models.settings import (
    ColorMode,
    InvitePolicy,
    RegistrationMode,
    SiteSettings,
    SmtpSecurity,
    Theme,
)
from townsquare.site.models.switches import FeatureSwitch

__all__ = [
    "Announcement",
    "AnnouncementDismissal",
    "ColorMode",
    "CustomEmoji",
    "FeatureSwitch",
    "InvitePolicy",
    "IpBlock",
    "RegistrationMode",
    "Rule",
    "SiteSettings",
    "SmtpSecurity",
    "Theme",
]
