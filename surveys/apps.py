from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "surveys"

    def ready(self):
        from . import signals  # noqa: F401 - connects the receivers
