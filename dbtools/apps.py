from django.apps import AppConfig


class DbtoolsConfig(AppConfig):
    name = "dbtools"
    verbose_name = "Database tools: backup, restore, reset"
