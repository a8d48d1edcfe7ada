from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "surveys"

    def ready(self):
        from config import beat

        from . import signals  # noqa: F401 - connects the receivers

        # `make run`'s periodic jobs (only in runserver without a broker): started by the
        # app that owns most of them.
        beat.start_in_dev_server()
