"""Blocked networks: addresses and CIDR ranges from which nobody may sign up or log in
(townsquare.site.models.IpBlock; the login check is accounts.actions.refuse_blocked_network).
Staff with `manage_settings` add and remove them at /admin/ip-blocks, where a block covering
the staff member's own address is refused; operators list and remove them from the command
line too (`townsquare ip-block list|remove`), the way back in for staff who are blocked."""

from __future__ import annotations

import ipaddress
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.core import ratelimit
from townsquare.moderation import audit
from townsquare.site.models import IpBlock

MAX_NOTE = 300
MAX_DAYS = 3650
MAX_BLOCKS = 10_000


def _network(raw: str) -> str:
    """`raw` as a normalised network ("203.0.113.7" -> "203.0.113.7/32"; host bits dropped)."""
    try:
        network = ipaddress.ip_network((raw or "").strip(), strict=False)
    except ValueError:
        raise ValidationError(
            {"network": [_("Enter an address or a range such as 203.0.113.0/24.")]}
        ) from None
    smallest = 8 if network.version == 4 else 16
    if network.prefixlen < smallest:
        raise ValidationError({"network": [_("That range is too wide to block.")]})
    return str(network)


def _require(actor: User | None) -> None:
    if actor is not None and not actor.can("manage_settings"):
        raise PermissionDenied(_("You may not change these settings."))


def active() -> list[IpBlock]:
    now = timezone.now()
    return list(
        IpBlock.objects.filter(Q(expires_at=None) | Q(expires_at__gt=now)).order_by("network")
    )


def all_blocks() -> list[IpBlock]:
    return list(IpBlock.objects.select_related("created_by").order_by("-created_at")[:1000])


def is_blocked(ip: str | None) -> bool:
    """Whether `ip` is inside an unexpired blocked network."""
    try:
        address = ipaddress.ip_address((ip or "").strip())
    except ValueError:
        return False
    for block in active():
        try:
            if address in ipaddress.ip_network(block.network):
                return True
        except (ValueError, TypeError):
            continue
    return False


def _covers(network: str, ip: str | None) -> bool:
    try:
        return ipaddress.ip_address((ip or "").strip()) in ipaddress.ip_network(network)
    except (ValueError, TypeError):
        return False


def find(raw: str) -> IpBlock | None:
    """The block with this id, or for this network (as typed: "203.0.113.9/24" finds
    203.0.113.0/24), None when there is none."""
    raw = (raw or "").strip()
    if raw.isdigit():
        return IpBlock.objects.filter(pk=int(raw)).first()
    try:
        normalised = str(ipaddress.ip_network(raw, strict=False))
    except ValueError:
        return None
    return IpBlock.objects.filter(network=normalised).first()


def add_block(
    actor: User | None,
    network: str,
    *,
    note: str = "",
    days: int | None = None,
    actor_ip: str | None = None,
) -> IpBlock:
    """Block `network` (for `days`, None: until removed); blocking it again updates it.
    `actor_ip`: the address the staff member is using; a block covering it is refused, since
    it would stop them logging in."""
    _require(actor)
    errors: dict[str, list[str]] = {}
    try:
        normalised = _network(network)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        normalised = ""
    if normalised and _covers(normalised, actor_ip):
        errors["network"] = [
            _(
                "This range includes the address you are using now (%(ip)s): blocking it "
                "would stop you from logging in."
            )
            % {"ip": actor_ip}
        ]
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        errors["note"] = [_("At most %(count)d characters.") % {"count": MAX_NOTE}]
    if days is not None and not 1 <= days <= MAX_DAYS:
        errors["days"] = [_("Between 1 and %(max)d days.") % {"max": MAX_DAYS}]
    if errors:
        raise ValidationError(errors)
    if actor is not None:
        ratelimit.STAFF_ACTIONS_PER_ACCOUNT.hit(str(actor.pk))
    expires = timezone.now() + timedelta(days=days) if days is not None else None
    with transaction.atomic():
        if (
            IpBlock.objects.count() >= MAX_BLOCKS
            and not IpBlock.objects.filter(network=normalised).exists()
        ):
            raise ValidationError({"network": [_("The list of blocked networks is full.")]})
        block, _created = IpBlock.objects.update_or_create(
            network=normalised,
            defaults={"note": note, "expires_at": expires, "created_by": actor},
        )
        audit.record(
            actor,
            "ip_block.add",
            target=("ip_block", block.pk, block.network),
            after={"note": note, "expires_at": expires.isoformat() if expires else None},
        )
    return block


def remove_block(actor: User | None, block_id: int) -> None:
    _require(actor)
    if actor is not None:
        ratelimit.STAFF_ACTIONS_PER_ACCOUNT.hit(str(actor.pk))
    with transaction.atomic():
        block = IpBlock.objects.select_for_update().filter(pk=block_id).first()
        if block is None:
            return
        audit.record(
            actor,
            "ip_block.remove",
            target=("ip_block", block.pk, block.network),
            before={"note": block.note},
        )
        block.delete()
