// Every GraphQL document the job view sends. GraphQL Code Generator reads the /* GraphQL */
// strings and writes their types into ../generated/graphql.ts (npm run codegen).

/** A document with the fragments it spreads appended (each fragment is written once, here). */
function withFragments(document: string, ...fragments: string[]): string {
  return [document, ...fragments].join("\n");
}

// Not Push.healthSummary: the page computes the Push Health badge from the jobs it holds
// (model/health.ts healthSummaryOf), so its aggregate is neither on the first load's path nor in
// every pushChanged event.
export const PUSH_FIELDS = /* GraphQL */ `
  fragment PushFields on Push {
    databaseId
    revision
    author
    time
    commitCount
    commits {
      revision
      author
      comments
    }
    status {
      completed
      pending
      running
      success
      testfailed
      busted
      exception
      retry
      usercancel
      superseded
    }
  }
`;

export const JOB_TABLE_FIELDS = /* GraphQL */ `
  fragment JobTableFields on JobTable {
    count
    pageInfo {
      hasNextPage
      endCursor
    }
    jobTypes {
      name
      symbol
    }
    jobGroups {
      name
      symbol
    }
    platforms {
      platform
    }
    optionCollections {
      options
    }
    id
    pushId
    state
    result
    tier
    failureClassificationId
    jobType
    jobGroup
    platform
    options
    lastModified
  }
`;

// A job as events carry it: the fields the grid needs to place and colour it.
export const JOB_EVENT_FIELDS = /* GraphQL */ `
  fragment JobEventFields on Job {
    databaseId
    state
    result
    tier
    lastModified
    failureClassification {
      databaseId
    }
    jobType {
      name
      symbol
    }
    jobGroup {
      name
      symbol
    }
    platform {
      platform
    }
    options
    push {
      databaseId
    }
  }
`;

export const REPOSITORIES = /* GraphQL */ `
  query Repositories {
    repositories {
      name
      databaseId
      repositoryGroup {
        name
      }
    }
  }
`;

export const LIVE_CURSOR = /* GraphQL */ `
  query LiveCursor {
    liveCursor
  }
`;

// The job view's whole grid in one request: pushes as objects, their jobs as one column table.
export const PUSHES_WITH_JOBS = withFragments(
  /* GraphQL */ `
  query PushesWithJobs($repository: String!, $first: Int!, $after: String, $revision: String) {
    pushes(repository: $repository, first: $first, after: $after, revision: $revision) {
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        ...PushFields
      }
      jobTable(first: 20000) {
        ...JobTableFields
      }
    }
  }
`,
  PUSH_FIELDS, JOB_TABLE_FIELDS,
);

// More rows of a job table (pushes with more than 20,000 jobs between them).
export const JOB_TABLE = withFragments(
  /* GraphQL */ `
  query JobTablePage($pushIds: [Int!]!, $after: String) {
    jobTable(pushIds: $pushIds, first: 20000, after: $after) {
      ...JobTableFields
    }
  }
`,
  JOB_TABLE_FIELDS,
);

export const JOB_CHANGED = withFragments(
  /* GraphQL */ `
  subscription JobChanged($repository: String!, $after: String) {
    jobChanged(repository: $repository, after: $after) {
      cursor
      job {
        ...JobEventFields
      }
    }
  }
`,
  JOB_EVENT_FIELDS,
);

export const PUSH_CHANGED = withFragments(
  /* GraphQL */ `
  subscription PushChanged($repository: String!, $after: String) {
    pushChanged(repository: $repository, after: $after) {
      cursor
      push {
        ...PushFields
      }
    }
  }
`,
  PUSH_FIELDS,
);

// The details panel: everything the API knows about one job (also what the mutations answer with,
// so the panel shows a classification as soon as it is made).
export const JOB_DETAILS_FIELDS = /* GraphQL */ `
  fragment JobDetailsFields on Job {
    databaseId
    guid
    taskId
    retryId
    state
    result
    tier
    who
    reason
    submitTime
    startTime
    endTime
    duration
    lastModified
    signature
    options
    jobType {
      name
      symbol
    }
    jobGroup {
      name
      symbol
    }
    platform {
      platform
      osName
      architecture
    }
    buildPlatform {
      platform
    }
    machine {
      name
    }
    failureClassification {
      databaseId
      name
    }
    repository {
      name
      tcRootUrl
    }
    push {
      databaseId
      revision
    }
    logs {
      name
      url
      parseStatus
    }
    textLogErrors {
      databaseId
      lineNumber
      line
      newFailure
      bugSuggestions {
        openRecent {
          bugzillaId
          summary
        }
        allOthers {
          bugzillaId
          summary
        }
      }
    }
    failureLines {
      databaseId
      line
      action
      test
      subtest
      status
      expected
      message
      signature
    }
    notes {
      databaseId
      text
      who
      created
      failureClassification {
        name
      }
    }
    bugLinks {
      databaseId
      who
      created
      bugOpen
      bug {
        bugzillaId
        summary
        status
        resolution
      }
    }
  }
`;

export const JOB_DETAILS = withFragments(
  /* GraphQL */ `
  query JobDetails($id: ID!) {
    job(id: $id) {
      ...JobDetailsFields
    }
  }
`,
  JOB_DETAILS_FIELDS,
);

// Who is signed in (null: nobody) and the classifications a sheriff can choose from.
export const ME = /* GraphQL */ `
  query Me {
    me {
      username
      email
      isSheriff
      via
      scopes
    }
    failureClassifications {
      databaseId
      name
    }
  }
`;

// The errors a mutation answers as data (docs/sheriffing.md: ask for __typename).
export const CLASSIFY_JOBS = withFragments(
  /* GraphQL */ `
  mutation ClassifyJobs($input: ClassifyJobsInput!) {
    classifyJobs(input: $input) {
      __typename
      ... on JobsClassified {
        notes {
          databaseId
        }
        jobs {
          ...JobDetailsFields
        }
      }
      ... on NotFound {
        message
        ids
      }
      ... on InvalidInput {
        message
        field
      }
    }
  }
`,
  JOB_DETAILS_FIELDS,
);

export const LINK_BUG = withFragments(
  /* GraphQL */ `
  mutation LinkBug($jobId: Int!, $bug: BugInput!) {
    linkBug(jobId: $jobId, bug: $bug) {
      __typename
      ... on BugLinked {
        created
        job {
          ...JobDetailsFields
        }
      }
      ... on NotFound {
        message
        ids
      }
      ... on InvalidInput {
        message
        field
      }
    }
  }
`,
  JOB_DETAILS_FIELDS,
);

// Push Health for one push: the verdict per category and the failed jobs.
export const PUSH_HEALTH_FIELDS = /* GraphQL */ `
  fragment PushHealthFields on PushHealth {
    revision
    summary {
      result
      needInvestigation
      tests {
        ...HealthMetricFields
      }
      builds {
        ...HealthMetricFields
      }
      linting {
        ...HealthMetricFields
      }
    }
    failures {
      category
      classification
      failedTests
      job {
        databaseId
        result
        tier
        options
        jobType {
          name
          symbol
        }
        jobGroup {
          symbol
        }
        platform {
          platform
        }
        failureClassification {
          databaseId
          name
        }
      }
    }
  }

  fragment HealthMetricFields on PushHealthMetric {
    name
    result
    jobs
    failures
    needInvestigation
    inProgress
  }
`;

export const PUSH_HEALTH = withFragments(
  /* GraphQL */ `
  query PushHealth($repository: String!, $revision: String!) {
    pushHealth(repository: $repository, revision: $revision) {
      ...PushHealthFields
    }
  }
`,
  PUSH_HEALTH_FIELDS,
);

export const PUSH_HEALTH_CHANGED = withFragments(
  /* GraphQL */ `
  subscription PushHealthChanged($repository: String!, $revision: String!, $after: String) {
    pushHealthChanged(repository: $repository, revision: $revision, after: $after) {
      cursor
      pushHealth {
        ...PushHealthFields
      }
    }
  }
`,
  PUSH_HEALTH_FIELDS,
);
