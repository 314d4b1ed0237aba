// Queries and mutations over HTTP POST to /graphql on the same origin. Mutations from a signed-in
// browser are authorised by the Django session cookie and must carry the CSRF token: the value of
// the `csrftoken` cookie (readable by design, CSRF_COOKIE_HTTPONLY = False) as `X-CSRFToken`.
// `GET /accounts/session/` sets that cookie (apps/accounts/views.py: ensure_csrf_cookie).

export interface GqlErrorEntry {
  message: string;
  extensions?: Record<string, unknown>;
}

export class GraphQLError extends Error {
  constructor(
    message: string,
    readonly errors: ReadonlyArray<GqlErrorEntry>,
  ) {
    super(message);
  }

  /** The first error's `extensions.code` (UNAUTHENTICATED, CSRF_FAILED, FORBIDDEN, ...). */
  get code(): string | null {
    const code = this.errors[0]?.extensions?.["code"];
    return typeof code === "string" ? code : null;
  }
}

/** The `csrftoken` cookie's value, or null when the server has not set it yet. */
export function csrfToken(cookies: string = document.cookie): string | null {
  for (const part of cookies.split(";")) {
    const [name, ...value] = part.trim().split("=");
    if (name === "csrftoken") return decodeURIComponent(value.join("="));
  }
  return null;
}

export interface SessionInfo {
  username: string | null;
  loginUrl: string;
  logoutUrl: string;
}

/** Who is signed in, according to the session; sets the CSRF cookie as a side effect. */
export async function fetchSession(signal?: AbortSignal): Promise<SessionInfo> {
  const response = await fetch("/accounts/session/", {
    headers: { accept: "application/json" },
    credentials: "same-origin",
    signal,
  });
  if (!response.ok) throw new Error(`/accounts/session/: HTTP ${response.status}`);
  return (await response.json()) as SessionInfo;
}

async function post<TData>(document: string, variables: object, headers: Record<string, string>, signal?: AbortSignal) {
  const response = await fetch("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", ...headers },
    body: JSON.stringify({ query: document, variables }),
    credentials: "same-origin",
    signal,
  });
  let body: { data?: TData | null; errors?: GqlErrorEntry[] };
  try {
    body = (await response.json()) as typeof body;
  } catch {
    throw new GraphQLError(`HTTP ${response.status}`, [{ message: `HTTP ${response.status}` }]);
  }
  if (body.errors?.length || !body.data) {
    const errors = body.errors ?? [{ message: `HTTP ${response.status}` }];
    throw new GraphQLError(errors.map((e) => e.message).join("; "), errors);
  }
  return body.data;
}

export async function query<TData, TVariables extends object = Record<string, never>>(
  document: string,
  variables?: TVariables,
  signal?: AbortSignal,
): Promise<TData> {
  return post<TData>(document, variables ?? {}, {}, signal);
}

/** A mutation as the signed-in browser: the session cookie and the CSRF token header. */
export async function mutate<TData, TVariables extends object>(document: string, variables: TVariables): Promise<TData> {
  const token = csrfToken();
  return post<TData>(document, variables, token ? { "X-CSRFToken": token } : {});
}
