// What the query editor opens with.

export const defaultQuery = `# The latest pushes of a repository, with their job counts.
query LatestPushes {
  pushes(repository: "autoland", first: 5) {
    nodes {
      databaseId
      revision
      author
      time
      status { completed success testfailed busted pending running }
    }
  }
}
`;

/** A link can carry a query in its fragment (never sent to the server): /graphql#query=... */
export function linkedQuery(hash: string): string | undefined {
  return new URLSearchParams(hash.slice(1)).get("query") ?? undefined;
}
