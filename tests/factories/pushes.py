import datetime
import hashlib

import factory

from apps.pushes.models import Commit, Push
from tests.factories.repositories import RepositoryFactory


def _revision(n: int) -> str:
    return hashlib.sha1(f"revision-{n}".encode()).hexdigest()


class PushFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Push

    repository = factory.SubFactory(RepositoryFactory)
    revision = factory.Sequence(_revision)
    author = factory.Sequence(lambda n: f"author{n}@mozilla.com")
    time = factory.Sequence(
        lambda n: datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(minutes=n)
    )


class CommitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Commit

    push = factory.SubFactory(PushFactory)
    revision = factory.Sequence(lambda n: _revision(n + 1_000_000))
    author = "Some Body <somebody@mozilla.com>"
    comments = factory.Sequence(lambda n: f"Bug {n} - change things")
