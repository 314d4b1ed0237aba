import { describe, expect, it } from "vitest";
import { GraphQLError } from "../api/http";
import { CLASSIFICATIONS, jobDetails } from "../test/fixtures";
import { choosableClassifications, classifyOutcome, errorOutcome, linkOutcome, parseBugField } from "./sheriffing";

describe("the classify form's logic", () => {
  it("reads the bug field: empty, digits, 'Bug 123', '#123'; anything else is an error", () => {
    expect(parseBugField("")).toEqual({ bug: null });
    expect(parseBugField("  1812345 ")).toEqual({ bug: 1812345 });
    expect(parseBugField("Bug 1812345")).toEqual({ bug: 1812345 });
    expect(parseBugField("#42")).toEqual({ bug: 42 });
    expect(parseBugField("12a")).toHaveProperty("error");
    expect(parseBugField("-3")).toHaveProperty("error");
  });

  it("offers the classifications a person chooses (not the machine states 1, 6, 7)", () => {
    expect(choosableClassifications(CLASSIFICATIONS).map((c) => c.databaseId)).toEqual([2, 3, 4, 5, 8]);
  });

  it("says what each member of the classifyJobs union means", () => {
    const job = jobDetails({ failureClassification: { databaseId: 4, name: "intermittent" } });
    expect(classifyOutcome({ classifyJobs: { __typename: "JobsClassified", notes: [{ databaseId: 1 }], jobs: [job] } }, "intermittent", 123)).toEqual({
      kind: "success",
      message: "Classified as intermittent, bug 123 linked.",
      job,
    });
    expect(classifyOutcome({ classifyJobs: { __typename: "JobsClassified", notes: [], jobs: [job] } }, "infra", null)).toMatchObject({
      message: "Classified as infra.",
    });
    expect(classifyOutcome({ classifyJobs: { __typename: "NotFound", message: "No job with id 7.", ids: [7] } }, "x", null)).toEqual({
      kind: "error", message: "No job with id 7.", field: null, signIn: false,
    });
    expect(
      classifyOutcome({ classifyJobs: { __typename: "InvalidInput", message: "bugzillaId must be positive.", field: "bugzillaId" } }, "x", 0),
    ).toEqual({ kind: "error", message: "bugzillaId must be positive.", field: "bugzillaId", signIn: false });
  });

  it("says whether linkBug linked the bug or found it linked already", () => {
    const job = jobDetails();
    expect(linkOutcome({ linkBug: { __typename: "BugLinked", created: true, job } }, 5)).toMatchObject({ kind: "success", message: "Bug 5 linked.", job });
    expect(linkOutcome({ linkBug: { __typename: "BugLinked", created: false, job } }, 5)).toMatchObject({
      message: "Bug 5 was already linked: nothing changed.",
    });
    expect(linkOutcome({ linkBug: { __typename: "NotFound", message: "No job with id 9.", ids: [9] } }, 5)).toMatchObject({ kind: "error" });
  });

  it("turns refusals into words, with a sign-in link when the session is gone", () => {
    const refusal = (code: string) => new GraphQLError("refused", [{ message: "refused", extensions: { code } }]);
    expect(errorOutcome(refusal("UNAUTHENTICATED"))).toMatchObject({ kind: "error", signIn: true });
    expect(errorOutcome(refusal("CSRF_FAILED"))).toMatchObject({
      message: expect.stringContaining("reload the page") as string,
    });
    expect(errorOutcome(refusal("RATE_LIMITED"))).toMatchObject({ message: expect.stringContaining("wait a minute") as string });
    expect(errorOutcome(refusal("FORBIDDEN"))).toMatchObject({ message: "Not allowed: refused", signIn: false });
    expect(errorOutcome(new TypeError("Failed to fetch"))).toMatchObject({ message: "Failed: Failed to fetch" });
  });
});
