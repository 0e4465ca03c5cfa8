from __future__ import annotations

import smtplib

from django.core.mail import send_mail
from django_tasks import task

from townsquare.core.jobs import retried


@task()
@retried(smtplib.SMTPException, OSError)
def send_email(subject: str, body: str, to: str) -> None:
    send_mail(subject, body, None, [to])
