from django.contrib import admin

from apps.pushes.models import Push


@admin.register(Push)
class PushAdmin(admin.ModelAdmin):
    list_display = ["id", "repository", "revision", "author", "time"]
    list_select_related = ["repository"]
    search_fields = ["revision", "author"]
    raw_id_fields = ["repository"]
