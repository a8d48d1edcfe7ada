from django.contrib import admin

from .models import VerifiedEmail


@admin.register(VerifiedEmail)
class VerifiedEmailAdmin(admin.ModelAdmin):
    list_display = ["user", "email", "verified_at"]
    search_fields = ["user__username", "email"]
    raw_id_fields = ["user"]
