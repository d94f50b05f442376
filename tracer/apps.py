from __future__ import annotations

from django.apps import AppConfig


class TracerConfig(AppConfig):
    name = "tracer"
    verbose_name = "tracer"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import celery, signals  # noqa: F401  (celery: bind shared tasks to our app)
