"""Django settings, composed from one module per concern. All values come from `config.env`."""

from config.settings.auth import *  # noqa: F403
from config.settings.base import *  # noqa: F403
from config.settings.cache import *  # noqa: F403
from config.settings.celery import *  # noqa: F403
from config.settings.channels import *  # noqa: F403
from config.settings.database import *  # noqa: F403
from config.settings.ingest import *  # noqa: F403
from config.settings.logging import *  # noqa: F403
from config.settings.operations import *  # noqa: F403
from config.settings.security import *  # noqa: F403
