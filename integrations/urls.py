from django.urls import path

from . import views

app_name = "integrations"

urlpatterns = [
    path("surveys/<int:pk>/integrations/", views.survey, name="survey"),
    path("surveys/<int:pk>/webhooks/new/", views.endpoint_create, name="endpoint_create"),
    path("surveys/<int:pk>/notifications/", views.notifications, name="notifications"),
    path("surveys/webhooks/<int:pk>/", views.endpoint, name="endpoint"),
    path("surveys/webhooks/<int:pk>/edit/", views.endpoint_update, name="endpoint_update"),
    path("surveys/webhooks/<int:pk>/pause/", views.endpoint_pause, name="endpoint_pause"),
    path("surveys/webhooks/<int:pk>/rotate/", views.endpoint_rotate, name="endpoint_rotate"),
    path("surveys/webhooks/<int:pk>/test/", views.endpoint_test, name="endpoint_test"),
    path(
        "surveys/webhooks/<int:pk>/replay-failed/",
        views.endpoint_replay_failed,
        name="endpoint_replay_failed",
    ),
    path("surveys/webhooks/<int:pk>/delete/", views.endpoint_delete, name="endpoint_delete"),
    path("surveys/deliveries/<int:pk>/replay/", views.delivery_replay, name="delivery_replay"),
    path("notifications/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
