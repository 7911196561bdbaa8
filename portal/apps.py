from django.apps import AppConfig
from django.core.signals import setting_changed


def _fragments_clear(**kwargs) -> None:
    """The chrome's cached fragments show settings (hotline, session time-out, support hours): a
    changed setting (tests override them) must not be answered from the old copy."""
    from django.core.cache import caches

    caches["fragments"].clear()


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Портал"

    def ready(self) -> None:
        setting_changed.connect(_fragments_clear, dispatch_uid="portal-fragments-clear")
