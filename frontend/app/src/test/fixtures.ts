// Shared test data and a fetch stand-in for component tests: answers by URL and GraphQL operation
// name, and records every request (headers and variables) so tests can check what was sent.
import type { JobDetails } from "../components/slots";
import type { PushHealthData } from "../model/health";

export function jobDetails(extra: Partial<JobDetails> = {}): JobDetails {
  return {
    databaseId: 7, guid: "g/0", taskId: "T1", retryId: 0, state: "COMPLETED", result: "TESTFAILED", tier: 1,
    who: "someone@mozilla.com", reason: "scheduled", submitTime: null, startTime: null, endTime: null,
    duration: 3, lastModified: "2026-01-01T00:00:00", signature: "s", options: ["opt"],
    jobType: { name: "test-1", symbol: "1" }, jobGroup: { name: "Mochitests", symbol: "M" },
    platform: { platform: "linux64", osName: "linux", architecture: "x86_64" }, buildPlatform: { platform: "linux64" },
    machine: { name: "m1" }, failureClassification: { databaseId: 1, name: "not classified" },
    repository: { name: "autoland", tcRootUrl: "https://tc.example" }, push: { databaseId: 1, revision: "r".repeat(40) },
    logs: [],
    textLogErrors: [
      {
        databaseId: 1, lineNumber: 42, line: "TEST-UNEXPECTED-FAIL | a.html | got 1", newFailure: false,
        bugSuggestions: { openRecent: [{ bugzillaId: 1900123, summary: "Intermittent a.html" }], allOthers: [] },
      },
    ],
    failureLines: [], notes: [], bugLinks: [],
    ...extra,
  };
}

export function pushHealth(result: "PASS" | "FAIL" | "UNKNOWN", needInvestigation: number): PushHealthData {
  const metric = (name: string) => ({ name, result, jobs: 3, failures: needInvestigation, needInvestigation, inProgress: 0 });
  return {
    revision: "r".repeat(40),
    summary: { result, needInvestigation, tests: metric("tests"), builds: metric("builds"), linting: metric("linting") },
    failures: Array.from({ length: needInvestigation }, (_, i) => ({
      category: "test",
      classification: "NEEDS_INVESTIGATION" as const,
      failedTests: [`dom/test_${i}.html`],
      job: {
        databaseId: 100 + i, result: "TESTFAILED" as const, tier: 1, options: ["opt"],
        jobType: { name: `test-${i}`, symbol: `${i}` }, jobGroup: { symbol: "M" }, platform: { platform: "linux64" },
        failureClassification: { databaseId: 1, name: "not classified" },
      },
    })),
  };
}

export interface SentRequest {
  url: string;
  headers: Record<string, string>;
  operation: string | null;
  variables: Record<string, unknown>;
}

type Answer = object | ((request: SentRequest) => object);

/** A fetch that answers `/accounts/session/` and GraphQL operations by name (`query Me` -> "Me"). */
export function fakeFetch(answers: Record<string, Answer>) {
  const sent: SentRequest[] = [];
  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = String(input);
    const body = init?.body ? (JSON.parse(String(init.body)) as { query: string; variables: Record<string, unknown> }) : null;
    const operation = body ? (/(?:query|mutation|subscription)\s+(\w+)/.exec(body.query)?.[1] ?? null) : null;
    const request: SentRequest = {
      url,
      headers: Object.fromEntries(Object.entries((init?.headers ?? {}) as Record<string, string>)),
      operation,
      variables: body?.variables ?? {},
    };
    sent.push(request);
    const answer = answers[operation ?? url];
    if (answer === undefined) return new Response(JSON.stringify({ errors: [{ message: `no answer for ${operation ?? url}` }] }));
    return new Response(JSON.stringify(typeof answer === "function" ? answer(request) : answer), {
      headers: { "content-type": "application/json" },
    });
  };
  return { fetch, sent };
}

export const CLASSIFICATIONS = [
  { databaseId: 1, name: "not classified" },
  { databaseId: 2, name: "fixed by commit" },
  { databaseId: 3, name: "expected fail" },
  { databaseId: 4, name: "intermittent" },
  { databaseId: 5, name: "infra" },
  { databaseId: 6, name: "new failure not classified" },
  { databaseId: 7, name: "autoclassified intermittent" },
  { databaseId: 8, name: "intermittent needs bugid" },
];

export const SIGNED_IN = {
  "/accounts/session/": { username: "sheriff", loginUrl: "/accounts/login/", logoutUrl: "/accounts/logout/" },
  Me: {
    data: {
      me: { username: "sheriff", email: "sheriff@example.com", isSheriff: true, via: "session", scopes: ["READ", "CLASSIFY"] },
      failureClassifications: CLASSIFICATIONS,
    },
  },
};

export const SIGNED_OUT = {
  "/accounts/session/": { username: null, loginUrl: "/accounts/login/", logoutUrl: "/accounts/logout/" },
  Me: { data: { me: null, failureClassifications: CLASSIFICATIONS } },
};
