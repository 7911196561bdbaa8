from django.apps import AppConfig
from django.core.signals import setting_changed
from django.db.backends.signals import connection_created


def _fragments_clear(**kwargs) -> None:
    """The chrome's cached fragments show settings (hotline, session time-out, support hours): a
    changed setting (tests override them) must not be answered from the old copy."""
    from django.core.cache import caches

    caches["fragments"].clear()


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Портал"

    def ready(self) -> None:
        from portal.sqlite import sqlite_functions_register

        setting_changed.connect(_fragments_clear, dispatch_uid="portal-fragments-clear")
        connection_created.connect(sqlite_functions_register, dispatch_uid="portal.sqlite_functions_register")
