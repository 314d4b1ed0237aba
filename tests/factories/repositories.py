import factory

from apps.repositories.models import Repository, RepositoryBranch, RepositoryGroup


class RepositoryGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RepositoryGroup
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"group-{n}")
    description = "a repository group"


class RepositoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Repository

    repository_group = factory.SubFactory(RepositoryGroupFactory)
    name = factory.Sequence(lambda n: f"repo-{n}")
    dvcs_type = Repository.DvcsType.HG
    url = factory.LazyAttribute(lambda o: f"https://hg.mozilla.org/{o.name}")
    codebase = "gecko"
    active_status = Repository.ActiveStatus.ACTIVE
    tc_root_url = "https://firefox-ci-tc.services.mozilla.com"


class RepositoryBranchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RepositoryBranch

    repository = factory.SubFactory(
        RepositoryFactory, dvcs_type=Repository.DvcsType.GIT, url="https://github.com/mozilla/example"
    )
    branch = factory.Sequence(lambda n: f"branch-{n}")
