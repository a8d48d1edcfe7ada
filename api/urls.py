from csp.decorators import csp_update
from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import kinds, views, webhooks

# Path converters, so ids are <int:pk>; no ".json" suffix routes (JSON is the only format).
router = DefaultRouter(use_regex_path=False)
router.include_format_suffixes = False
router.register("surveys", views.SurveyViewSet, basename="survey")
router.register("questions", views.QuestionViewSet, basename="question")
router.register("options", views.OptionViewSet, basename="option")
router.register("exports", views.ExportViewSet, basename="export")
router.register("webhooks", webhooks.WebhookViewSet, basename="webhook")
router.register("deliveries", webhooks.DeliveryViewSet, basename="delivery")

SWAGGER_PAGE_STYLE = "'sha256-MMpT0iDxyjALd9PdfepImGX3DBfJPXZ4IlDWdPAgtn0='"

app_name = "api"

urlpatterns = [
    path("v1/", include(router.urls)),
    path("v1/kinds/", kinds.KindsView.as_view(), name="kinds"),
    path(
        "v1/surveys/<int:pk>/webhooks/",
        webhooks.SurveyWebhooksView.as_view(),
        name="survey-webhooks",
    ),
    path(
        "v1/surveys/<int:pk>/notifications/",
        webhooks.SurveyNotificationsView.as_view(),
        name="survey-notifications",
    ),
    path(
        "v1/public/surveys/<slug:token>/", views.PublicSurveyView.as_view(), name="public-survey"
    ),
    path(
        "v1/public/surveys/<slug:token>/responses/",
        views.PublicSubmitView.as_view(),
        name="public-submit",
    ),
    path(
        "v1/public/surveys/<slug:token>/responses/with-files/",
        views.PublicSubmitWithFilesView.as_view(),
        name="public-submit-with-files",
    ),
    path("schema/", views.SchemaView.as_view(), name="schema"),
    # The split view serves Swagger UI's settings as a script file, not an inline script,
    # so the site's Content-Security-Policy holds on the docs page too; only the page's own
    # small <style> block is allowed, by its hash (drf-spectacular 0.30's template).
    path(
        "docs/",
        csp_update({"style-src": [SWAGGER_PAGE_STYLE]})(
            views.DocsView.as_view(url_name="api:schema")
        ),
        name="docs",
    ),
]
