// Queries over HTTP POST to /graphql on the same origin.

export class GraphQLError extends Error {
  constructor(
    message: string,
    readonly errors: ReadonlyArray<{ message: string; extensions?: Record<string, unknown> }>,
  ) {
    super(message);
  }
}

export async function query<TData, TVariables extends object = Record<string, never>>(
  document: string,
  variables?: TVariables,
  signal?: AbortSignal,
): Promise<TData> {
  const response = await fetch("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ query: document, variables: variables ?? {} }),
    signal,
  });
  const body = (await response.json()) as {
    data?: TData;
    errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
  };
  if (body.errors?.length || !body.data) {
    const errors = body.errors ?? [{ message: `HTTP ${response.status}` }];
    throw new GraphQLError(errors.map((e) => e.message).join("; "), errors);
  }
  return body.data;
}
