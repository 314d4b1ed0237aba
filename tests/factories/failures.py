import datetime

import factory

from apps.failures.models import Bugscache, FailureLine, Group, GroupStatus, TextLogError
from tests.factories.jobs import JobFactory, JobLogFactory


class TextLogErrorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TextLogError

    job = factory.SubFactory(JobFactory)
    line = "TEST-UNEXPECTED-FAIL | dom/base/test/test_example.html | assertion failed"
    line_number = factory.Sequence(lambda n: n)


class FailureLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FailureLine

    job_log = factory.SubFactory(JobLogFactory, name="errorsummary_json")
    job_guid = factory.SelfAttribute("job_log.job.guid")
    repository = factory.SelfAttribute("job_log.job.repository")
    action = FailureLine.Action.TEST_RESULT
    line = factory.Sequence(lambda n: n)
    test = "dom/base/test/test_example.html"
    status = "FAIL"
    expected = "PASS"
    message = "assertion failed"
    level = "error"


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Group
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"dom/base/test/browser{n}.ini")


class GroupStatusFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GroupStatus

    job_log = factory.SubFactory(JobLogFactory, name="errorsummary_json")
    group = factory.SubFactory(GroupFactory)
    status = GroupStatus.Status.OK
    duration = 42


class BugscacheFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bugscache

    bugzilla_id = factory.Sequence(lambda n: 1_000_000 + n)
    status = "NEW"
    resolution = ""
    summary = factory.Sequence(lambda n: f"Intermittent dom/base/test/test_example{n}.html | assertion failed")
    modified = factory.LazyFunction(lambda: datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC))
    keywords = "intermittent-failure"
