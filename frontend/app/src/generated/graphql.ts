/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
/** What an API token may do: READ (read as the user) or CLASSIFY (annotate jobs). */
export type ApiTokenScope =
  | 'CLASSIFY'
  | 'READ';

/** A bug: exactly one of a Bugzilla id or an internal issue id. */
export type BugInput = {
  bugzillaId: number | null | undefined;
  /** Treeherder's own id of an internal issue. */
  internalId: number | null | undefined;
};

export type ClassifyJobsInput = {
  /** Also link this bug to every job. */
  bug: BugInput | null | undefined;
  /** A failure classification id (1-8). */
  classificationId: number;
  /** Database ids of the jobs (at most CLASSIFY_BATCH_MAX). */
  jobIds: Array<number>;
  text: string;
};

/** What a failure's classification says about it. */
export type HealthClassification =
  | 'FIXED_BY_COMMIT'
  | 'KNOWN_INTERMITTENT'
  | 'NEEDS_INVESTIGATION'
  | 'OTHER';

/** A metric's or a push's verdict (Treeherder's values). */
export type HealthResult =
  | 'FAIL'
  | 'INDETERMINATE'
  | 'NONE'
  | 'PASS'
  | 'UNKNOWN';

/** Whether a log was parsed for errors. */
export type JobLogParseStatus =
  | 'FAILED'
  | 'PARSED'
  | 'PENDING'
  | 'SKIPPED_SIZE';

/** How a job ended. UNKNOWN until it is completed. */
export type JobResult =
  | 'BUSTED'
  | 'EXCEPTION'
  | 'RETRY'
  | 'SUCCESS'
  | 'SUPERSEDED'
  | 'TESTFAILED'
  | 'UNKNOWN'
  | 'USERCANCEL';

/** Where a job is in its life. States only move forward. */
export type JobState =
  | 'COMPLETED'
  | 'PENDING'
  | 'RUNNING'
  | 'UNSCHEDULED';

export type PushFieldsFragment = { databaseId: number, revision: string, author: string, time: string, commitCount: number, commits: Array<{ revision: string, author: string, comments: string }>, status: { completed: number, pending: number, running: number, success: number, testfailed: number, busted: number, exception: number, retry: number, usercancel: number, superseded: number } };

export type JobTableFieldsFragment = { count: number, id: number[], pushId: number[], state: JobState[], result: JobResult[], tier: number[], failureClassificationId: number[], jobType: number[], jobGroup: number[], platform: number[], options: number[], lastModified: (number | null)[], pageInfo: { hasNextPage: boolean, endCursor: string | null }, jobTypes: Array<{ name: string, symbol: string }>, jobGroups: Array<{ name: string, symbol: string }>, platforms: Array<{ platform: string }>, optionCollections: Array<{ options: Array<string> }> };

export type JobEventFieldsFragment = { databaseId: number, state: JobState, result: JobResult, tier: number, lastModified: string, options: Array<string>, failureClassification: { databaseId: number }, jobType: { name: string, symbol: string }, jobGroup: { name: string, symbol: string }, platform: { platform: string }, push: { databaseId: number } };

export type RepositoriesQueryVariables = Exact<{ [key: string]: never; }>;


export type RepositoriesQuery = { repositories: Array<{ name: string, databaseId: number, repositoryGroup: { name: string } }> };

export type LiveCursorQueryVariables = Exact<{ [key: string]: never; }>;


export type LiveCursorQuery = { liveCursor: string };

export type PushesWithJobsQueryVariables = Exact<{
  repository: string;
  first: number;
  after: string | null | undefined;
  revision: string | null | undefined;
}>;


export type PushesWithJobsQuery = { pushes: { pageInfo: { hasNextPage: boolean, endCursor: string | null }, nodes: Array<{ databaseId: number, revision: string, author: string, time: string, commitCount: number, commits: Array<{ revision: string, author: string, comments: string }>, status: { completed: number, pending: number, running: number, success: number, testfailed: number, busted: number, exception: number, retry: number, usercancel: number, superseded: number } }>, jobTable: { count: number, id: number[], pushId: number[], state: JobState[], result: JobResult[], tier: number[], failureClassificationId: number[], jobType: number[], jobGroup: number[], platform: number[], options: number[], lastModified: (number | null)[], pageInfo: { hasNextPage: boolean, endCursor: string | null }, jobTypes: Array<{ name: string, symbol: string }>, jobGroups: Array<{ name: string, symbol: string }>, platforms: Array<{ platform: string }>, optionCollections: Array<{ options: Array<string> }> } } };

export type JobTablePageQueryVariables = Exact<{
  pushIds: Array<number> | number;
  after: string | null | undefined;
}>;


export type JobTablePageQuery = { jobTable: { count: number, id: number[], pushId: number[], state: JobState[], result: JobResult[], tier: number[], failureClassificationId: number[], jobType: number[], jobGroup: number[], platform: number[], options: number[], lastModified: (number | null)[], pageInfo: { hasNextPage: boolean, endCursor: string | null }, jobTypes: Array<{ name: string, symbol: string }>, jobGroups: Array<{ name: string, symbol: string }>, platforms: Array<{ platform: string }>, optionCollections: Array<{ options: Array<string> }> } };

export type JobChangedSubscriptionVariables = Exact<{
  repository: string;
  after: string | null | undefined;
}>;


export type JobChangedSubscription = { jobChanged: { cursor: string, job: { databaseId: number, state: JobState, result: JobResult, tier: number, lastModified: string, options: Array<string>, failureClassification: { databaseId: number }, jobType: { name: string, symbol: string }, jobGroup: { name: string, symbol: string }, platform: { platform: string }, push: { databaseId: number } } | null } };

export type PushChangedSubscriptionVariables = Exact<{
  repository: string;
  after: string | null | undefined;
}>;


export type PushChangedSubscription = { pushChanged: { cursor: string, push: { databaseId: number, revision: string, author: string, time: string, commitCount: number, commits: Array<{ revision: string, author: string, comments: string }>, status: { completed: number, pending: number, running: number, success: number, testfailed: number, busted: number, exception: number, retry: number, usercancel: number, superseded: number } } | null } };

export type JobDetailsFieldsFragment = { databaseId: number, guid: string, taskId: string | null, retryId: number | null, state: JobState, result: JobResult, tier: number, who: string, reason: string, submitTime: string | null, startTime: string | null, endTime: string | null, duration: number, lastModified: string, signature: string, options: Array<string>, jobType: { name: string, symbol: string }, jobGroup: { name: string, symbol: string }, platform: { platform: string, osName: string, architecture: string }, buildPlatform: { platform: string }, machine: { name: string }, failureClassification: { databaseId: number, name: string }, repository: { name: string, tcRootUrl: string }, push: { databaseId: number, revision: string }, logs: Array<{ name: string, url: string, parseStatus: JobLogParseStatus }>, textLogErrors: Array<{ databaseId: number, lineNumber: number, line: string, newFailure: boolean, bugSuggestions: { openRecent: Array<{ bugzillaId: number | null, summary: string }>, allOthers: Array<{ bugzillaId: number | null, summary: string }> } }>, failureLines: Array<{ databaseId: number, line: number, action: string, test: string, subtest: string, status: string, expected: string, message: string, signature: string }>, notes: Array<{ databaseId: number, text: string, who: string, created: string, failureClassification: { name: string } }>, bugLinks: Array<{ databaseId: number, who: string, created: string, bugOpen: boolean, bug: { bugzillaId: number | null, summary: string, status: string, resolution: string } }> };

export type JobDetailsQueryVariables = Exact<{
  id: string | number;
}>;


export type JobDetailsQuery = { job: { databaseId: number, guid: string, taskId: string | null, retryId: number | null, state: JobState, result: JobResult, tier: number, who: string, reason: string, submitTime: string | null, startTime: string | null, endTime: string | null, duration: number, lastModified: string, signature: string, options: Array<string>, jobType: { name: string, symbol: string }, jobGroup: { name: string, symbol: string }, platform: { platform: string, osName: string, architecture: string }, buildPlatform: { platform: string }, machine: { name: string }, failureClassification: { databaseId: number, name: string }, repository: { name: string, tcRootUrl: string }, push: { databaseId: number, revision: string }, logs: Array<{ name: string, url: string, parseStatus: JobLogParseStatus }>, textLogErrors: Array<{ databaseId: number, lineNumber: number, line: string, newFailure: boolean, bugSuggestions: { openRecent: Array<{ bugzillaId: number | null, summary: string }>, allOthers: Array<{ bugzillaId: number | null, summary: string }> } }>, failureLines: Array<{ databaseId: number, line: number, action: string, test: string, subtest: string, status: string, expected: string, message: string, signature: string }>, notes: Array<{ databaseId: number, text: string, who: string, created: string, failureClassification: { name: string } }>, bugLinks: Array<{ databaseId: number, who: string, created: string, bugOpen: boolean, bug: { bugzillaId: number | null, summary: string, status: string, resolution: string } }> } | null };

export type MeQueryVariables = Exact<{ [key: string]: never; }>;


export type MeQuery = { me: { username: string, email: string, isSheriff: boolean, via: string, scopes: Array<ApiTokenScope> } | null, failureClassifications: Array<{ databaseId: number, name: string }> };

export type ClassifyJobsMutationVariables = Exact<{
  input: ClassifyJobsInput;
}>;


export type ClassifyJobsMutation = { classifyJobs:
    | { __typename: 'InvalidInput', message: string, field: string }
    | { __typename: 'JobsClassified', notes: Array<{ databaseId: number }>, jobs: Array<{ databaseId: number, guid: string, taskId: string | null, retryId: number | null, state: JobState, result: JobResult, tier: number, who: string, reason: string, submitTime: string | null, startTime: string | null, endTime: string | null, duration: number, lastModified: string, signature: string, options: Array<string>, jobType: { name: string, symbol: string }, jobGroup: { name: string, symbol: string }, platform: { platform: string, osName: string, architecture: string }, buildPlatform: { platform: string }, machine: { name: string }, failureClassification: { databaseId: number, name: string }, repository: { name: string, tcRootUrl: string }, push: { databaseId: number, revision: string }, logs: Array<{ name: string, url: string, parseStatus: JobLogParseStatus }>, textLogErrors: Array<{ databaseId: number, lineNumber: number, line: string, newFailure: boolean, bugSuggestions: { openRecent: Array<{ bugzillaId: number | null, summary: string }>, allOthers: Array<{ bugzillaId: number | null, summary: string }> } }>, failureLines: Array<{ databaseId: number, line: number, action: string, test: string, subtest: string, status: string, expected: string, message: string, signature: string }>, notes: Array<{ databaseId: number, text: string, who: string, created: string, failureClassification: { name: string } }>, bugLinks: Array<{ databaseId: number, who: string, created: string, bugOpen: boolean, bug: { bugzillaId: number | null, summary: string, status: string, resolution: string } }> }> }
    | { __typename: 'NotFound', message: string, ids: Array<number> }
   };

export type LinkBugMutationVariables = Exact<{
  jobId: number;
  bug: BugInput;
}>;


export type LinkBugMutation = { linkBug:
    | { __typename: 'BugLinked', created: boolean, job: { databaseId: number, guid: string, taskId: string | null, retryId: number | null, state: JobState, result: JobResult, tier: number, who: string, reason: string, submitTime: string | null, startTime: string | null, endTime: string | null, duration: number, lastModified: string, signature: string, options: Array<string>, jobType: { name: string, symbol: string }, jobGroup: { name: string, symbol: string }, platform: { platform: string, osName: string, architecture: string }, buildPlatform: { platform: string }, machine: { name: string }, failureClassification: { databaseId: number, name: string }, repository: { name: string, tcRootUrl: string }, push: { databaseId: number, revision: string }, logs: Array<{ name: string, url: string, parseStatus: JobLogParseStatus }>, textLogErrors: Array<{ databaseId: number, lineNumber: number, line: string, newFailure: boolean, bugSuggestions: { openRecent: Array<{ bugzillaId: number | null, summary: string }>, allOthers: Array<{ bugzillaId: number | null, summary: string }> } }>, failureLines: Array<{ databaseId: number, line: number, action: string, test: string, subtest: string, status: string, expected: string, message: string, signature: string }>, notes: Array<{ databaseId: number, text: string, who: string, created: string, failureClassification: { name: string } }>, bugLinks: Array<{ databaseId: number, who: string, created: string, bugOpen: boolean, bug: { bugzillaId: number | null, summary: string, status: string, resolution: string } }> } | null }
    | { __typename: 'InvalidInput', message: string, field: string }
    | { __typename: 'NotFound', message: string, ids: Array<number> }
   };

export type PushHealthFieldsFragment = { revision: string, summary: { result: HealthResult, needInvestigation: number, tests: { name: string, result: HealthResult, jobs: number, failures: number, needInvestigation: number, inProgress: number }, builds: { name: string, result: HealthResult, jobs: number, failures: number, needInvestigation: number, inProgress: number }, linting: { name: string, result: HealthResult, jobs: number, failures: number, needInvestigation: number, inProgress: number } }, failures: Array<{ category: string, classification: HealthClassification, failedTests: Array<string>, job: { databaseId: number, result: JobResult, tier: number, options: Array<string>, jobType: { name: string, symbol: string }, jobGroup: { symbol: string }, platform: { platform: string }, failureClassification: { databaseId: number, name: string } } | null }> };

export type HealthMetricFieldsFragment = { name: string, result: HealthResult, jobs: number, failures: number, needInvestigation: number, inProgress: number };

export type PushHealthQueryVariables = Exact<{
  repository: string;
  revision: string;
}>;


export type PushHealthQuery = { pushHealth: { revision: string, summary: { result: HealthResult, needInvestigation: number, tests: { name: string, result: HealthResult, jobs: number, failures: number, needInvestigation: number, inProgress: number }, builds: { name: string, result: HealthResult, jobs: number, failures: number, needInvestigation: number, inProgress: number }, linting: { name: string, result: HealthResult, jobs: number, failures: number, needInvestigation: number, inProgress: number } }, failures: Array<{ category: string, classification: HealthClassification, failedTests: Array<string>, job: { databaseId: number, result: JobResult, tier: number, options: Array<string>, jobType: { name: string, symbol: string }, jobGroup: { symbol: string }, platform: { platform: string }, failureClassification: { databaseId: number, name: string } } | null }> } | null };

export type PushHealthChangedSubscriptionVariables = Exact<{
  repository: string;
  revision: string;
  after: string | null | undefined;
}>;


export type PushHealthChangedSubscription = { pushHealthChanged: { cursor: string, pushHealth: { revision: string, summary: { result: HealthResult, needInvestigation: number, tests: { name: string, result: HealthResult, jobs: number, failures: number, needInvestigation: number, inProgress: number }, builds: { name: string, result: HealthResult, jobs: number, failures: number, needInvestigation: number, inProgress: number }, linting: { name: string, result: HealthResult, jobs: number, failures: number, needInvestigation: number, inProgress: number } }, failures: Array<{ category: string, classification: HealthClassification, failedTests: Array<string>, job: { databaseId: number, result: JobResult, tier: number, options: Array<string>, jobType: { name: string, symbol: string }, jobGroup: { symbol: string }, platform: { platform: string }, failureClassification: { databaseId: number, name: string } } | null }> } } };
