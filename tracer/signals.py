"""Every user gets a workspace of their own when the account is created."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import default_workspace


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def create_default_workspace(sender: Any, instance: Any, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if created and not raw:
        default_workspace(instance)
