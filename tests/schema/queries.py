"""GraphQL documents the tests share: the job view, as the UI would ask for it."""

JOB_UI_FIELDS = """
  id databaseId guid taskId retryId state result tier who reason
  submitTime startTime endTime duration lastModified
  jobType { databaseId name symbol }
  jobGroup { databaseId name symbol }
  platform { databaseId osName platform architecture }
  options signature
  failureClassification { databaseId name }
"""

# The job view: pushes with commits and status counts, and every job with what the grid shows.
JOB_VIEW_OBJECTS = f"""
query JobView($repository: String!, $first: Int!) {{
  pushes(repository: $repository, first: $first) {{
    pageInfo {{ hasNextPage endCursor }}
    edges {{
      cursor
      node {{
        id databaseId revision author time commitCount
        commits {{ revision author comments }}
        status {{ completed pending running success testfailed busted exception retry usercancel superseded }}
        jobs(first: 100) {{ pageInfo {{ hasNextPage }} nodes {{ {JOB_UI_FIELDS} }} }}
      }}
    }}
  }}
}}
"""

# The same view with the jobs as one table.
JOB_VIEW_TABLE = """
query JobViewTable($repository: String!, $first: Int!) {
  pushes(repository: $repository, first: $first) {
    nodes { databaseId revision author time commitCount status { completed pending running testfailed } }
    jobTable {
      count pageInfo { hasNextPage endCursor } lastModifiedMax
      id pushId guid taskId retryId state result tier failureClassificationId
      jobType jobGroup platform options signature submitTime startTime endTime lastModified duration
      jobTypes { databaseId name symbol }
      jobGroups { databaseId name symbol }
      platforms { databaseId osName platform architecture }
      optionCollections { hash options }
      signatures
    }
  }
}
"""
