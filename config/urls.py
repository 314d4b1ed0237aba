"""URL routes over HTTP. WebSocket routes live in config/asgi.py."""

from django.contrib import admin
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt

from apps.core.frontend import job_view
from apps.core.views import liveness, metrics, readiness, status
from schema.schema import schema
from schema.views import GraphQLView

urlpatterns = [
    path("healthz", readiness, name="healthz"),
    path("healthz/live", liveness, name="healthz-live"),
    path("healthz/ready", readiness, name="healthz-ready"),
    path("healthz/status", status, name="healthz-status"),
    path("metrics", metrics, name="metrics"),
    # A browser's GET (Accept: text/html) gets GraphiQL, served from our own static files (no CDN).
    path("graphql", csrf_exempt(GraphQLView.as_view(schema=schema, graphql_ide="graphiql")), name="graphql"),
    path("accounts/", include("apps.accounts.urls")),
    path("admin/", admin.site.urls),
    # The React job view and its client-side routes (frontend/app): / and /jobs?repo=...
    re_path(r"^(?:jobs/?)?$", job_view, name="job-view"),
]
