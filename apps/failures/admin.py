from django.contrib import admin

from apps.failures.models import Bugscache


@admin.register(Bugscache)
class BugscacheAdmin(admin.ModelAdmin):
    list_display = ["id", "bugzilla_id", "status", "resolution", "summary"]
    search_fields = ["summary"]
