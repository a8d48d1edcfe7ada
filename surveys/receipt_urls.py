"""A respondent's own response, reached through the private link on their receipt."""

from django.urls import path

from . import public_views

app_name = "receipts"

urlpatterns = [
    path("<str:link>/", public_views.receipt, name="show"),
    path("<str:link>/edit/", public_views.receipt_edit, name="edit"),
    path("<str:link>/withdraw/", public_views.receipt_withdraw, name="withdraw"),
    path("<str:link>/email/", public_views.receipt_email, name="email"),
]
