from django.contrib import admin

from apps.classification.models import BugJobMap, InvestigatedTest, JobNote


@admin.register(JobNote)
class JobNoteAdmin(admin.ModelAdmin):
    list_display = ["id", "job", "failure_classification", "user", "created"]
    raw_id_fields = ["job", "user"]


@admin.register(BugJobMap)
class BugJobMapAdmin(admin.ModelAdmin):
    list_display = ["id", "job", "bug", "user", "created"]
    raw_id_fields = ["job", "bug", "user"]


@admin.register(InvestigatedTest)
class InvestigatedTestAdmin(admin.ModelAdmin):
    list_display = ["id", "push", "job_type", "test", "user", "created"]
    raw_id_fields = ["push", "job_type", "user"]
