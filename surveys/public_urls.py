from django.urls import path

from . import public_views

app_name = "public"

urlpatterns = [
    path("<slug:token>/", public_views.start, name="start"),
    path("<slug:token>/answer/", public_views.answer, name="answer"),
    path("<slug:token>/thanks/", public_views.thanks, name="thanks"),
    path("<slug:token>/privacy/", public_views.privacy, name="privacy"),
]
