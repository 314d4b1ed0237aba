from django.contrib import admin

from apps.classification.models import BugJobMap, JobNote


@admin.register(JobNote)
class JobNoteAdmin(admin.ModelAdmin):
    list_display = ["id", "job", "failure_classification", "user", "created"]
    raw_id_fields = ["job", "user"]


@admin.register(BugJobMap)
class BugJobMapAdmin(admin.ModelAdmin):
    list_display = ["id", "job", "bug", "user", "created"]
    raw_id_fields = ["job", "bug", "user"]
