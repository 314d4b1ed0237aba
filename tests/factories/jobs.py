import datetime
import uuid

import factory

from apps.jobs.models import (
    BuildPlatform,
    FailureClassification,
    Job,
    JobGroup,
    JobLog,
    JobType,
    Machine,
    MachinePlatform,
    Option,
    OptionCollection,
    Product,
    ReferenceDataSignatures,
    TaskclusterMetadata,
)
from tests.factories.pushes import PushFactory


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        django_get_or_create = ("name",)

    name = "firefox"


class BuildPlatformFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BuildPlatform
        django_get_or_create = ("os_name", "platform", "architecture")

    os_name = "linux"
    platform = "linux64"
    architecture = "x86_64"


class MachinePlatformFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MachinePlatform
        django_get_or_create = ("os_name", "platform", "architecture")

    os_name = "linux"
    platform = "linux64"
    architecture = "x86_64"


class MachineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Machine
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"i-{n:08x}")


class OptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Option
        django_get_or_create = ("name",)

    name = "opt"


class OptionCollectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OptionCollection
        django_get_or_create = ("option_collection_hash", "option")

    option = factory.SubFactory(OptionFactory)
    option_collection_hash = factory.LazyAttribute(lambda o: OptionCollection.calculate_hash([o.option.name]))


class JobTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JobType
        django_get_or_create = ("name", "symbol")

    name = factory.Sequence(lambda n: f"test-linux64/opt-mochitest-{n}")
    symbol = factory.Sequence(lambda n: f"M{n}")


class JobGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JobGroup
        django_get_or_create = ("name", "symbol")

    name = "Mochitests"
    symbol = "M"


class FailureClassificationFactory(factory.django.DjangoModelFactory):
    """The fixed classifications 1-8 come from load_reference_data; this makes any other."""

    class Meta:
        model = FailureClassification
        django_get_or_create = ("id",)

    id = FailureClassification.NOT_CLASSIFIED
    name = factory.LazyAttribute(lambda o: {1: "not classified"}.get(o.id, f"classification {o.id}"))


class ReferenceDataSignaturesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReferenceDataSignatures
        django_get_or_create = ("name", "signature", "build_system_type", "repository")

    name = factory.LazyAttribute(lambda o: o.signature)
    signature = factory.Sequence(lambda n: f"{n:040x}")
    build_os_name = "linux"
    build_platform = "linux64"
    build_architecture = "x86_64"
    machine_os_name = "linux"
    machine_platform = "linux64"
    machine_architecture = "x86_64"
    job_group_name = "Mochitests"
    job_group_symbol = "M"
    job_type_name = "test-linux64/opt-mochitest-1"
    job_type_symbol = "M1"
    option_collection_hash = factory.LazyFunction(lambda: OptionCollection.calculate_hash(["opt"]))
    build_system_type = "taskcluster"
    repository = "autoland"
    first_submission_timestamp = 1_700_000_000


class JobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Job

    guid = factory.LazyFunction(lambda: f"{uuid.uuid4()}/0")
    push = factory.SubFactory(PushFactory)
    repository = factory.SelfAttribute("push.repository")
    signature = factory.SubFactory(
        ReferenceDataSignaturesFactory, repository=factory.SelfAttribute("..repository.name")
    )
    build_platform = factory.SubFactory(BuildPlatformFactory)
    machine_platform = factory.SubFactory(MachinePlatformFactory)
    machine = factory.SubFactory(MachineFactory)
    job_type = factory.SubFactory(JobTypeFactory)
    job_group = factory.SubFactory(JobGroupFactory)
    product = factory.SubFactory(ProductFactory)
    failure_classification = factory.SubFactory(FailureClassificationFactory)
    option_collection_hash = factory.LazyFunction(lambda: OptionCollection.calculate_hash(["opt"]))
    who = "someone@mozilla.com"
    reason = "scheduled"
    state = Job.State.COMPLETED
    result = Job.Result.SUCCESS
    tier = 1
    submit_time = factory.LazyFunction(lambda: datetime.datetime(2026, 1, 1, 12, tzinfo=datetime.UTC))
    start_time = factory.LazyAttribute(lambda o: o.submit_time + datetime.timedelta(minutes=1))
    end_time = factory.LazyAttribute(lambda o: o.start_time + datetime.timedelta(minutes=10))


class TaskclusterMetadataFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaskclusterMetadata

    job = factory.SubFactory(JobFactory)
    task_id = factory.Sequence(lambda n: f"{n:022d}")
    retry_id = 0


class JobLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JobLog

    job = factory.SubFactory(JobFactory)
    name = "live_backing_log"
    url = factory.Sequence(
        lambda n: (
            f"https://firefox-ci-tc.services.mozilla.com/api/queue/v1/task/{n}/runs/0/artifacts/public/logs/live_backing.log"
        )
    )
    status = JobLog.Status.PENDING
