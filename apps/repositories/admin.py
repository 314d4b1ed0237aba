from django.contrib import admin

from apps.repositories.models import Repository, RepositoryBranch, RepositoryGroup


@admin.register(RepositoryGroup)
class RepositoryGroupAdmin(admin.ModelAdmin):
    list_display = ["id", "name"]


@admin.register(Repository)
class RepositoryAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "dvcs_type", "url", "active_status", "repository_group"]
    list_filter = ["active_status", "dvcs_type"]
    search_fields = ["name", "url"]


@admin.register(RepositoryBranch)
class RepositoryBranchAdmin(admin.ModelAdmin):
    list_display = ["id", "repository", "branch"]
