from django.urls import path, re_path

from . import views

app_name = "surveys"

urlpatterns = [
    path("", views.survey_list, name="list"),
    path("new/", views.survey_create, name="create"),
    path("my-data.zip", views.my_data, name="my_data"),
    path("<int:pk>/", views.survey_results, name="results"),
    path("<int:pk>/edit/", views.survey_edit, name="edit"),
    path("<int:pk>/preview/", views.survey_preview, name="preview"),
    path("<int:pk>/share/", views.survey_share, name="share"),
    path("<int:pk>/settings/", views.survey_settings, name="settings"),
    path("<int:pk>/danger-zone/", views.survey_danger, name="danger"),
    path("<int:pk>/rename/", views.survey_rename, name="rename"),
    path("<int:pk>/responses/", views.survey_responses, name="responses"),
    path("<int:pk>/export.csv", views.survey_export_csv, name="export_csv"),
    path("<int:pk>/export.xlsx", views.survey_export_xlsx, name="export_xlsx"),
    path("<int:pk>/summary.csv", views.survey_export_summary, name="export_summary"),
    path("<int:pk>/exports/", views.survey_exports, name="exports"),
    path("<int:pk>/exports/new/", views.export_start, name="export_start"),
    path("exports/<int:pk>/", views.export_detail, name="export_detail"),
    path("exports/<int:pk>/download/", views.export_download, name="export_download"),
    path("files/<int:pk>/", views.upload_download, name="upload_download"),
    path("files/<int:pk>/thumbnail/", views.upload_thumbnail, name="upload_thumbnail"),
    path("<int:pk>/new-version/", views.survey_new_version, name="new_version"),
    re_path(r"^(?P<pk>[0-9]+)/qr\.(?P<kind>svg|png)$", views.survey_qr, name="qr"),
    path("<int:pk>/start/", views.survey_start, name="start"),
    path("<int:pk>/close/", views.survey_close, name="close"),
    path("<int:pk>/reopen/", views.survey_reopen, name="reopen"),
    path("<int:pk>/closing/", views.survey_closing, name="closing"),
    path("<int:pk>/respondents/", views.survey_respondents, name="respondents"),
    path("<int:pk>/duplicate/", views.survey_duplicate, name="duplicate"),
    path("<int:pk>/delete/", views.survey_delete, name="delete"),
    path("<int:pk>/questions/new/", views.question_create, name="question_create"),
    path("questions/<int:pk>/edit/", views.question_edit, name="question_edit"),
    path("questions/<int:pk>/delete/", views.question_delete, name="question_delete"),
    path("questions/<int:pk>/answers/", views.question_answers, name="question_answers"),
    re_path(
        r"^questions/(?P<pk>[0-9]+)/move/(?P<direction>up|down)/$",
        views.question_move,
        name="question_move",
    ),
    path("questions/<int:pk>/options/", views.option_create, name="option_create"),
    path("options/<int:pk>/edit/", views.option_edit, name="option_edit"),
    path("options/<int:pk>/delete/", views.option_delete, name="option_delete"),
    re_path(
        r"^options/(?P<pk>[0-9]+)/move/(?P<direction>up|down)/$",
        views.option_move,
        name="option_move",
    ),
]
