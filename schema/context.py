"""The GraphQL context: the request (if any) and a fresh set of DataLoaders.

Loaders are created here and nowhere else. `Context()` works outside an HTTP request (request is
None): a subscription builds a new Context for every event, so no loader serves a row cached
before that event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from schema.classification.dataloaders import (
    BugLinkHistoryByJobIdLoader,
    BugLinksByJobIdLoader,
    InvestigatedTestsByPushIdLoader,
    NoteHistoryByJobIdLoader,
    NotesByJobIdLoader,
)
from schema.failures.dataloaders import BugByIdLoader, FailureLinesByJobGuidLoader, TextLogErrorsByJobIdLoader
from schema.info import Info
from schema.jobs.dataloaders import (
    BuildPlatformByIdLoader,
    FailureClassificationByIdLoader,
    JobByGuidLoader,
    JobByIdLoader,
    JobGroupByIdLoader,
    JobLogsByJobIdLoader,
    JobPagesByPushIdLoader,
    JobTypeByIdLoader,
    MachineByIdLoader,
    OptionsByHashLoader,
    PlatformByIdLoader,
    SignatureByIdLoader,
)
from schema.pushes.dataloaders import CommitsByPushIdLoader, PushByIdLoader, PushStatusByPushIdLoader
from schema.repositories.dataloaders import RepositoryByIdLoader


@dataclass
class Loaders:
    """One of each loader. `job_by_id` and `push_by_id` return `Job` and `Push` objects as they are."""

    repository_by_id: RepositoryByIdLoader = field(default_factory=RepositoryByIdLoader)
    push_by_id: PushByIdLoader = field(default_factory=PushByIdLoader)
    commits_by_push_id: CommitsByPushIdLoader = field(default_factory=CommitsByPushIdLoader)
    push_status_by_push_id: PushStatusByPushIdLoader = field(default_factory=PushStatusByPushIdLoader)
    job_by_id: JobByIdLoader = field(default_factory=JobByIdLoader)
    job_by_guid: JobByGuidLoader = field(default_factory=JobByGuidLoader)
    job_pages_by_push_id: JobPagesByPushIdLoader = field(default_factory=JobPagesByPushIdLoader)
    job_type_by_id: JobTypeByIdLoader = field(default_factory=JobTypeByIdLoader)
    job_group_by_id: JobGroupByIdLoader = field(default_factory=JobGroupByIdLoader)
    platform_by_id: PlatformByIdLoader = field(default_factory=PlatformByIdLoader)
    build_platform_by_id: BuildPlatformByIdLoader = field(default_factory=BuildPlatformByIdLoader)
    machine_by_id: MachineByIdLoader = field(default_factory=MachineByIdLoader)
    signature_by_id: SignatureByIdLoader = field(default_factory=SignatureByIdLoader)
    options_by_hash: OptionsByHashLoader = field(default_factory=OptionsByHashLoader)
    failure_classification_by_id: FailureClassificationByIdLoader = field(
        default_factory=FailureClassificationByIdLoader
    )
    logs_by_job_id: JobLogsByJobIdLoader = field(default_factory=JobLogsByJobIdLoader)
    text_log_errors_by_job_id: TextLogErrorsByJobIdLoader = field(default_factory=TextLogErrorsByJobIdLoader)
    failure_lines_by_job_guid: FailureLinesByJobGuidLoader = field(default_factory=FailureLinesByJobGuidLoader)
    notes_by_job_id: NotesByJobIdLoader = field(default_factory=NotesByJobIdLoader)
    bug_links_by_job_id: BugLinksByJobIdLoader = field(default_factory=BugLinksByJobIdLoader)
    bug_by_id: BugByIdLoader = field(default_factory=BugByIdLoader)
    note_history_by_job_id: NoteHistoryByJobIdLoader = field(default_factory=NoteHistoryByJobIdLoader)
    bug_link_history_by_job_id: BugLinkHistoryByJobIdLoader = field(default_factory=BugLinkHistoryByJobIdLoader)
    investigated_tests_by_push_id: InvestigatedTestsByPushIdLoader = field(
        default_factory=InvestigatedTestsByPushIdLoader
    )


@dataclass
class Context:
    request: Any = None
    response: Any = None
    loaders: Loaders = field(default_factory=Loaders)


__all__ = ["Context", "Info", "Loaders"]
