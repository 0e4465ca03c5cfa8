from __future__ import annotations

from django.core.mail import send_mail
from django_tasks import task


@task()
def send_email(subject: str, body: str, to: str) -> None:
    send_mail(subject, body, None, [to])
