import atexit
import logging
import os

from django.apps import AppConfig
from django.conf import settings

logger = logging.getLogger("treeherder.startup")


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from apps.core import checks  # noqa: F401 - registers the system checks
        from apps.core.metrics import mark_process_dead
        from apps.core.outage import database_connected

        # A new database connection ends a database outage (apps.core.outage).
        connection_created.connect(database_connected, dispatch_uid="apps.core.outage")

        # This process's live gauges (open WebSockets...) leave the machine's sums when it ends.
        atexit.register(mark_process_dead, os.getpid())

        if settings.EMBEDDED:
            logger.warning(
                "EMBEDDED mode: SQLite file %s, in-memory channel layer, tasks run in-process. "
                "For trying the system out only; not for production.",
                settings.DATABASES["default"]["NAME"],
            )
