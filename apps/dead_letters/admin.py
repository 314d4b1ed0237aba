from django.contrib import admin

from apps.dead_letters.models import DeadLetter


@admin.register(DeadLetter)
class DeadLetterAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "reason", "attempts", "created", "retried_at"]
    list_filter = ["kind", "reason"]
