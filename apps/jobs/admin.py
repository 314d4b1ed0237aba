from django.contrib import admin

from apps.jobs.models import FailureClassification, Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["id", "guid", "state", "result", "tier", "last_modified"]
    search_fields = ["guid"]
    raw_id_fields = [
        "repository",
        "push",
        "signature",
        "build_platform",
        "machine_platform",
        "machine",
        "job_type",
        "job_group",
        "product",
    ]


@admin.register(FailureClassification)
class FailureClassificationAdmin(admin.ModelAdmin):
    list_display = ["id", "name"]
