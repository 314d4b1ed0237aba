import factory
from django.contrib.auth import get_user_model

from apps.classification.models import BugJobMap, JobNote
from tests.factories.failures import BugscacheFactory
from tests.factories.jobs import FailureClassificationFactory, JobFactory


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"mozilla-ldap/sheriff{n}@mozilla.com")
    email = factory.Sequence(lambda n: f"sheriff{n}@mozilla.com")


class JobNoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JobNote

    job = factory.SubFactory(JobFactory)
    failure_classification = factory.SubFactory(FailureClassificationFactory, id=4, name="intermittent")
    user = factory.SubFactory(UserFactory)
    text = "looks intermittent"


class BugJobMapFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BugJobMap

    job = factory.SubFactory(JobFactory)
    bug = factory.SubFactory(BugscacheFactory)
    user = factory.SubFactory(UserFactory)
