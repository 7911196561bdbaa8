from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupportConfig(AppConfig):
    name = "support"
    verbose_name = _("Поддержка")

    def ready(self) -> None:
        from support.hours import support_hours_check

        support_hours_check()
