from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

from config.health import health, ping

urlpatterns = [
    path("", TemplateView.as_view(template_name="landing.html"), name="landing"),
    path("accounts/", include("accounts.urls")),
    path("surveys/", include("surveys.urls")),
    path("", include("integrations.urls")),
    path("s/", include("surveys.public_urls")),
    path("r/", include("surveys.receipt_urls")),
    path("api/", include("api.urls")),
    path("health/", health, name="health"),
    path("ping/", ping, name="ping"),
    path("admin/", admin.site.urls),
]

handler400 = "api.errors.bad_request"
handler403 = "api.errors.permission_denied"
handler404 = "api.errors.page_not_found"
handler500 = "api.errors.server_error"
