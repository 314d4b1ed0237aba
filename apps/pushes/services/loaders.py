"""Push loaders: from a Pulse push message to the repository it belongs to and a `PushData`.

* hg (`exchange/hgpushes/v1`): the pushlog's json-pushes URL from the message (checked against the
  outbound allow-list like every URL), last 200 changesets, revision = last changeset.
* GitHub push (`exchange/taskcluster-github/v1/push`): the compare API (base...head), or the
  webhook's own commits for a new branch (base = 40 zeros); revision = head, time = the head
  commit's committer date, author = its author's email.
* GitHub pull request (`.../pull-request`): the PR commits API.

Repository resolution follows Treeherder (domain doc §2.7). A message that names no known active
repository raises `Rejected` (logged and counted, never retried).

Message fields never shape a request freely: GitHub owners, repository names, shas and pull-request
numbers must match their GitHub syntax before they go into an API path (the token is attached), and
an hg message's json-pushes URL must be the pushlog of the repository it names (on HG_URL).
"""

from __future__ import annotations

import datetime
import re
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from apps.core.dates import iso8601_utc
from apps.core.http import http_get_json
from apps.core.pulse import Rejected
from apps.pushes.services.store import MAX_COMMITS, CommitData, PushData
from apps.repositories.models import Repository, RepositoryBranch

HG_EXCHANGE = "exchange/hgpushes/v1"
GITHUB_PUSH_EXCHANGE = "exchange/taskcluster-github/v1/push"
GITHUB_PR_EXCHANGE = "exchange/taskcluster-github/v1/pull-request"
PUSH_EXCHANGES = (HG_EXCHANGE, GITHUB_PUSH_EXCHANGE, GITHUB_PR_EXCHANGE)
NULL_SHA = "0" * 40
GITHUB_PAGE_LIMIT = 10  # PR commits come 100 a page; GitHub stops at 250 anyway
# hg.mozilla.org, where repository URLs point; its pushlog is fetched from HG_URL (the same by default).
PUBLIC_HG_URL = "https://hg.mozilla.org"

# GitHub's syntax: owners are alphanumerics and single inner hyphens (at most 39); repository names
# letters, digits, '.', '-', '_' (at most 100, not '.' or '..'); shas 40 lowercase hex digits.
GITHUB_OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
GITHUB_REPOSITORY = re.compile(r"^(?!\.{1,2}$)[A-Za-z0-9._-]{1,100}$")
SHA = re.compile(r"^[0-9a-f]{40}$")
PULL_NUMBER = re.compile(r"^[1-9][0-9]{0,9}$")


def _valid(value: Any, pattern: re.Pattern[str], what: str) -> str:
    text = str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""
    if not pattern.match(text):
        raise Rejected("invalid_message", f"push message has an invalid {what}: {value!r}")
    return text


def _github_repo(body: dict[str, Any]) -> tuple[str, str]:
    return (
        _valid(_field(body, "organization"), GITHUB_OWNER, "GitHub organization"),
        _valid(_field(body, "repository"), GITHUB_REPOSITORY, "GitHub repository"),
    )


def hg_url_mapped(url: str) -> str:
    """A URL on hg.mozilla.org as the configured HG_URL serves it (unchanged by default)."""
    if url == PUBLIC_HG_URL or url.startswith(f"{PUBLIC_HG_URL}/"):
        return settings.HG_URL + url[len(PUBLIC_HG_URL) :]
    return url


def _pushlog_url_check(repository: Repository, url: str) -> None:
    """The json-pushes URL must be this repository's pushlog: same scheme, host and path."""
    expected = urlsplit(f"{hg_url_mapped(repository.url.rstrip('/'))}/json-pushes")
    actual = urlsplit(url)
    if (
        actual.scheme != expected.scheme
        or actual.netloc.lower() != expected.netloc.lower()
        or actual.path.rstrip("/") != expected.path
        or actual.fragment
    ):
        raise Rejected(
            "invalid_push_url", f"json-pushes URL {url!r} is not the pushlog of {repository.name} ({expected.geturl()})"
        )


def _field(body: dict[str, Any], *path: str) -> Any:
    value: Any = body
    for key in path:
        if not isinstance(value, dict) or key not in value:
            raise Rejected("invalid_message", f"push message has no {'.'.join(path)}")
        value = value[key]
    return value


def _active(url: str) -> list[Repository]:
    return list(Repository.objects.filter(url=url, active_status=Repository.ActiveStatus.ACTIVE).order_by("id"))


def repository_for_hg(*, repo_url: str) -> Repository:
    """The active repository with this URL; repositories mapped by wildcard branch rules don't count."""
    candidates = [
        repo
        for repo in _active(repo_url)
        if not any(branch.is_wildcard for branch in RepositoryBranch.objects.filter(repository=repo))
    ]
    if len(candidates) != 1:
        raise Rejected("unknown_repository", f"{len(candidates)} active repositories for hg URL {repo_url}")
    return candidates[0]


def repository_for_branch(*, url: str, branch: str) -> tuple[Repository, str]:
    """Exact branch rule first, then a single matching suffix wildcard. Returns (repository, the
    branch to store): the branch is stored only when a wildcard rule matched."""
    repos = {repo.id: repo for repo in _active(url)}
    rules = list(RepositoryBranch.objects.filter(repository_id__in=list(repos)))
    exact = [rule for rule in rules if not rule.is_wildcard and rule.branch == branch]
    if exact:
        if len({rule.repository_id for rule in exact}) > 1:
            raise Rejected("ambiguous_repository", f"several repositories take {url} branch {branch}")
        return repos[exact[0].repository_id], ""
    wildcard = [rule for rule in rules if rule.is_wildcard and rule.matches(branch)]
    if len(wildcard) == 1:
        return repos[wildcard[0].repository_id], branch
    if len(wildcard) > 1:
        raise Rejected("ambiguous_repository", f"{len(wildcard)} wildcard rules match {url} branch {branch}")
    raise Rejected("unknown_repository", f"no active repository takes {url} branch {branch}")


def repository_for_pull_request(*, url: str) -> Repository:
    candidates = [repo for repo in _active(url) if repo.accepts_pull_requests]
    if len(candidates) != 1:
        raise Rejected("unknown_repository", f"{len(candidates)} active repositories take pull requests for {url}")
    return candidates[0]


def hg_push_load(body: dict[str, Any]) -> tuple[Repository, PushData]:
    payload = _field(body, "payload")
    repository = repository_for_hg(repo_url=str(_field(payload, "repo_url")).rstrip("/"))
    pushes = _field(payload, "pushlog_pushes")
    if not pushes:
        raise Rejected("invalid_message", "hg push message lists no pushes")
    url = str(_field(pushes[0], "push_full_json_url")).strip()
    _pushlog_url_check(repository, url)
    response = http_get_json(url)
    if not isinstance(response, dict) or not response.get("pushes"):
        raise Rejected("invalid_response", f"json-pushes at {url} returned no pushes")
    return repository, hg_push_data(next(iter(response["pushes"].values())), url)


def hg_push_data(push: dict[str, Any], url: str) -> PushData:
    """One push of a json-pushes (version 2, full) answer as a `PushData`."""
    changesets = push.get("changesets") or []
    if not changesets:
        raise Rejected("empty_push", f"push at {url} has no changesets (obsolete push)")
    commits = tuple(
        CommitData(revision=c["node"], author=c["author"], comments=c["desc"]) for c in changesets[-MAX_COMMITS:]
    )
    return PushData(
        revision=commits[-1].revision,
        author=push["user"],
        time=datetime.datetime.fromtimestamp(int(push["date"]), tz=datetime.UTC),
        commits=commits,
    )


def _github_headers() -> dict[str, str]:
    headers = {"Accept": "application/vnd.github+json"}
    if settings.GITHUB_TOKEN:
        headers["Authorization"] = f"Bearer {settings.GITHUB_TOKEN}"
    return headers


def _api_commits_to_push(commits: list[dict[str, Any]], branch: str = "") -> PushData:
    commits = commits[-MAX_COMMITS:]
    head = commits[-1]
    return PushData(
        revision=head["sha"],
        author=head["commit"]["author"]["email"],
        time=iso8601_utc(head["commit"]["committer"]["date"]),
        commits=tuple(
            CommitData(
                revision=c["sha"],
                author=f"{c['commit']['author']['name']} <{c['commit']['author']['email']}>",
                comments=c["commit"]["message"],
            )
            for c in commits
        ),
        branch=branch,
    )


def github_push_load(body: dict[str, Any]) -> tuple[Repository, PushData]:
    details = _field(body, "details")
    url = str(_field(details, "event.head.repo.url")).removesuffix(".git")
    branch = "tag" if details.get("event.head.tag") else str(_field(details, "event.base.repo.branch"))
    repository, stored_branch = repository_for_branch(url=url, branch=branch)
    base, head = str(_field(details, "event.base.sha")), str(_field(details, "event.head.sha"))
    if base == NULL_SHA:
        # A new branch: there is nothing to compare against; the webhook lists the commits.
        webhook_commits = _field(body, "body", "commits")
        if not webhook_commits:
            raise Rejected("empty_push", f"new-branch push {head} lists no commits")
        last = webhook_commits[-1]
        return repository, PushData(
            revision=last["id"],
            author=last["author"]["email"],
            time=iso8601_utc(last["timestamp"]),
            commits=tuple(
                CommitData(
                    revision=c["id"], author=f"{c['author']['name']} <{c['author']['email']}>", comments=c["message"]
                )
                for c in webhook_commits[-MAX_COMMITS:]
            ),
            branch=stored_branch,
        )
    org, repo = _github_repo(body)
    base = _valid(base, SHA, "base sha")
    head = _valid(head, SHA, "head sha")
    compare = http_get_json(
        f"{settings.GITHUB_API_URL}/repos/{org}/{repo}/compare/{base}...{head}", headers=_github_headers()
    )
    commits = compare.get("commits") if isinstance(compare, dict) else None
    if not commits:
        raise Rejected("empty_push", f"compare {base}...{head} of {org}/{repo} has no commits")
    return repository, _api_commits_to_push(commits, stored_branch)


def github_pull_request_load(body: dict[str, Any]) -> tuple[Repository, PushData]:
    details = _field(body, "details")
    url = str(_field(details, "event.base.repo.url")).removesuffix(".git")
    repository = repository_for_pull_request(url=url)
    org, repo = _github_repo(body)
    number = _valid(_field(details, "event.pullNumber"), PULL_NUMBER, "pull request number")
    commits: list[dict[str, Any]] = []
    for page in range(1, GITHUB_PAGE_LIMIT + 1):
        chunk = http_get_json(
            f"{settings.GITHUB_API_URL}/repos/{org}/{repo}/pulls/{number}/commits?per_page=100&page={page}",
            headers=_github_headers(),
        )
        if not isinstance(chunk, list):
            raise Rejected("invalid_response", f"PR {org}/{repo}#{number} commits is not a list")
        commits.extend(chunk)
        if len(chunk) < 100:
            break
    if not commits:
        raise Rejected("empty_push", f"PR {org}/{repo}#{number} has no commits")
    return repository, _api_commits_to_push(commits)


LOADERS = {
    HG_EXCHANGE: hg_push_load,
    GITHUB_PUSH_EXCHANGE: github_push_load,
    GITHUB_PR_EXCHANGE: github_pull_request_load,
}
