"""factory_boy factories, one module per domain, re-exported here."""

from tests.factories.classification import BugJobMapFactory, JobNoteFactory, UserFactory
from tests.factories.failures import (
    BugscacheFactory,
    FailureLineFactory,
    GroupFactory,
    GroupStatusFactory,
    TextLogErrorFactory,
)
from tests.factories.jobs import (
    BuildPlatformFactory,
    FailureClassificationFactory,
    JobFactory,
    JobGroupFactory,
    JobLogFactory,
    JobTypeFactory,
    MachineFactory,
    MachinePlatformFactory,
    OptionCollectionFactory,
    OptionFactory,
    ProductFactory,
    ReferenceDataSignaturesFactory,
    TaskclusterMetadataFactory,
)
from tests.factories.pushes import CommitFactory, PushFactory
from tests.factories.repositories import RepositoryBranchFactory, RepositoryFactory, RepositoryGroupFactory

__all__ = [
    "BugJobMapFactory",
    "BugscacheFactory",
    "BuildPlatformFactory",
    "CommitFactory",
    "FailureClassificationFactory",
    "FailureLineFactory",
    "GroupFactory",
    "GroupStatusFactory",
    "JobFactory",
    "JobGroupFactory",
    "JobLogFactory",
    "JobNoteFactory",
    "JobTypeFactory",
    "MachineFactory",
    "MachinePlatformFactory",
    "OptionCollectionFactory",
    "OptionFactory",
    "ProductFactory",
    "PushFactory",
    "ReferenceDataSignaturesFactory",
    "RepositoryBranchFactory",
    "RepositoryFactory",
    "RepositoryGroupFactory",
    "TaskclusterMetadataFactory",
    "TextLogErrorFactory",
    "UserFactory",
]
