"""Load the reference data every deployment needs: repositories and failure classifications."""

from typing import Any

from django.core.management.base import BaseCommand

from apps.jobs.services import failure_classifications_load_fixture
from apps.repositories.services import repositories_load_fixtures


class Command(BaseCommand):
    help = "Load repository groups, repositories, branch rules and failure classifications (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        results = repositories_load_fixtures()
        results["failure_classification"] = failure_classifications_load_fixture()
        for table, result in results.items():
            self.stdout.write(
                f"{table}: {result.created} created, {result.updated} updated, {result.unchanged} unchanged"
            )
