from django.apps import AppConfig
from django.db.backends.signals import connection_created


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Портал"

    def ready(self) -> None:
        from portal.sqlite import sqlite_functions_register

        connection_created.connect(sqlite_functions_register, dispatch_uid="portal.sqlite_functions_register")
