from django.apps import AppConfig


class OmsPolicyConfig(AppConfig):
    name = "oms_policy"
    verbose_name = "Полисы ОМС"
