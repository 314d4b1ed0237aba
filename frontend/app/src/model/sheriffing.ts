// The classify / link-bug form's logic, without React: what the bug field may hold, which
// classifications a person picks from, and what each mutation's answer (a union of a success type,
// NotFound and InvalidInput, or a refusal with a code) means in words.
import { GraphQLError } from "../api/http";
import type { ClassifyJobsMutation, LinkBugMutation } from "../generated/graphql";
import type { JobDetails } from "../components/slots";

/** Machine states, not choices: 1 not classified, 6 new failure not classified, 7 autoclassified. */
const NOT_CHOSEN = new Set([1, 6, 7]);
export const DEFAULT_CLASSIFICATION = 4; // intermittent, as Treeherder's pinboard

export function choosableClassifications<T extends { databaseId: number }>(all: readonly T[]): T[] {
  return all.filter((classification) => !NOT_CHOSEN.has(classification.databaseId));
}

export type BugField = { bug: number | null } | { error: string };

/** The bug field: empty (no bug), or a Bugzilla bug number (digits; "Bug 123" and "#123" accepted). */
export function parseBugField(text: string): BugField {
  const trimmed = text.trim().replace(/^(bug\s*|#)/i, "");
  if (trimmed === "") return { bug: null };
  if (!/^\d{1,10}$/.test(trimmed)) return { error: "A bug number is digits only, e.g. 1812345." };
  return { bug: Number(trimmed) };
}

export type Outcome =
  | { kind: "idle" }
  | { kind: "pending"; message: string }
  | { kind: "success"; message: string; job: JobDetails | null }
  | { kind: "error"; message: string; field: string | null; signIn: boolean };

type Failure = { __typename: "NotFound"; message: string } | { __typename: "InvalidInput"; message: string; field: string };

function domainError(result: Failure): Outcome {
  return {
    kind: "error",
    message: result.message,
    field: result.__typename === "InvalidInput" ? result.field : null,
    signIn: false,
  };
}

export function classifyOutcome(
  data: ClassifyJobsMutation,
  classificationName: string,
  bug: number | null,
): Outcome {
  const result = data.classifyJobs;
  if (result.__typename !== "JobsClassified") return domainError(result);
  return {
    kind: "success",
    message: `Classified as ${classificationName}${bug !== null ? `, bug ${bug} linked` : ""}.`,
    job: result.jobs[0] ?? null,
  };
}

export function linkOutcome(data: LinkBugMutation, bug: number): Outcome {
  const result = data.linkBug;
  if (result.__typename !== "BugLinked") return domainError(result);
  return {
    kind: "success",
    message: result.created ? `Bug ${bug} linked.` : `Bug ${bug} was already linked: nothing changed.`,
    job: result.job,
  };
}

/** A refusal (GraphQL error with a code) or a network failure, in words. */
export function errorOutcome(error: unknown): Outcome {
  const code = error instanceof GraphQLError ? error.code : null;
  const message = error instanceof Error ? error.message : String(error);
  switch (code) {
    case "UNAUTHENTICATED":
      return { kind: "error", message: "You are not signed in (any more): sign in again.", field: null, signIn: true };
    case "CSRF_FAILED":
      return { kind: "error", message: "The page's security token is missing or stale: reload the page and try again.", field: null, signIn: false };
    case "FORBIDDEN":
      return { kind: "error", message: `Not allowed: ${message}`, field: null, signIn: false };
    case "RATE_LIMITED":
      return { kind: "error", message: "Too many changes in a short time: wait a minute and try again.", field: null, signIn: false };
    default:
      return { kind: "error", message: `Failed: ${message}`, field: null, signIn: false };
  }
}
