from django.contrib import admin

from apps.accounts.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "name", "prefix", "scopes", "created", "expires_at", "last_used_at", "revoked_at"]
    raw_id_fields = ["user"]
    # The digest is useless to a person and the plain token is never stored.
    exclude = ["digest"]
