from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Webhooks and notifications"

    def ready(self):
        from . import receivers  # noqa: F401 - connects the receivers
