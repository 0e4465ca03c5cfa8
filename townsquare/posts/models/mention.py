from __future__ import annotations

from django.conf import settings
from django.db import models


class Mention(models.Model):
    post = models.ForeignKey("posts.Post", on_delete=models.CASCADE, related_name="mentions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "user"], name="mention_unique")]
        indexes = [models.Index(fields=["user", "post"], name="mention_user_idx")]

    def __str__(self) -> str:
        return f"{self.post_id} @{self.user_id}"
