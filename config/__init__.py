# Loaded with Django, so @shared_task in the apps binds to Canvass's Celery app.
from .celery import app as celery_app

__all__ = ("celery_app",)
