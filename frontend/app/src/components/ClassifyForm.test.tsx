import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { resetIdentity } from "../identity";
import { fakeFetch, jobDetails, SIGNED_IN, SIGNED_OUT } from "../test/fixtures";
import { ClassifyForm } from "./ClassifyForm";
import { DetailsPanel } from "./DetailsPanel";
import type { JobDetails, PanelContext } from "./slots";

beforeEach(() => {
  resetIdentity();
  document.cookie = "csrftoken=csrf-123";
  window.history.replaceState(null, "", "/jobs?repo=autoland&selectedJob=7");
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

function renderForm(answers: Record<string, object>, panel: Partial<PanelContext> = {}) {
  const { fetch, sent } = fakeFetch(answers);
  vi.stubGlobal("fetch", fetch);
  const showJob = vi.fn<(job: JobDetails) => void>();
  const job = jobDetails();
  const view = render(<ClassifyForm job={job} panel={{ picked: null, showJob, ...panel }} />);
  return { sent, showJob, job, view };
}

const classified = jobDetails({ failureClassification: { databaseId: 4, name: "intermittent" } });

describe("ClassifyForm", () => {
  it("signed out: a link to sign in that comes back to this view, and no form", async () => {
    const { sent } = renderForm(SIGNED_OUT);
    const link = await screen.findByRole("link", { name: "Sign in to classify" });
    expect(link.getAttribute("href")).toBe(`/accounts/login/?next=${encodeURIComponent("/jobs?repo=autoland&selectedJob=7")}`);
    expect(screen.queryByRole("form")).toBeNull();
    expect(sent[0]?.url).toBe("/accounts/session/"); // sets the CSRF cookie before anything else
  });

  it("signed in: labelled controls; classify sends the job, the choice, the bug and the CSRF header", async () => {
    const { sent, showJob } = renderForm({
      ...SIGNED_IN,
      ClassifyJobs: { data: { classifyJobs: { __typename: "JobsClassified", notes: [{ databaseId: 1 }], jobs: [classified] } } },
    });
    await screen.findByText(/Signed in as/);
    expect((screen.getByLabelText("Classification") as HTMLSelectElement).value).toBe("4");
    expect(screen.getAllByRole("option").map((o) => o.textContent)).toEqual([
      "fixed by commit", "expected fail", "intermittent", "infra", "intermittent needs bugid",
    ]);
    fireEvent.change(screen.getByLabelText("Classification"), { target: { value: "2" } });
    fireEvent.change(screen.getByLabelText("Bug number"), { target: { value: "Bug 1812345" } });
    fireEvent.change(screen.getByLabelText("Comment"), { target: { value: "backed out" } });
    fireEvent.click(screen.getByRole("button", { name: "Classify" }));
    await screen.findByText("Classified as fixed by commit, bug 1812345 linked.");
    const request = sent.find((r) => r.operation === "ClassifyJobs");
    expect(request?.headers["X-CSRFToken"]).toBe("csrf-123");
    expect(request?.variables).toEqual({
      input: { jobIds: [7], classificationId: 2, text: "backed out", bug: { bugzillaId: 1812345, internalId: null } },
    });
    expect(showJob).toHaveBeenCalledWith(classified); // the panel shows the new classification at once
    expect((screen.getByLabelText("Bug number") as HTMLInputElement).value).toBe("");
  });

  it("shows union errors in words and marks the bug field for a bug error", async () => {
    const { showJob } = renderForm({
      ...SIGNED_IN,
      LinkBug: { data: { linkBug: { __typename: "InvalidInput", message: "bugzillaId must be positive.", field: "bugzillaId" } } },
      ClassifyJobs: { data: { classifyJobs: { __typename: "NotFound", message: "No job with id 7.", ids: [7] } } },
    });
    await screen.findByText(/Signed in as/);
    fireEvent.change(screen.getByLabelText("Bug number"), { target: { value: "0" } });
    fireEvent.click(screen.getByRole("button", { name: "Link bug only" }));
    await waitFor(() => expect(screen.getByRole("alert").textContent).toBe("bugzillaId must be positive."));
    expect(screen.getByLabelText("Bug number").getAttribute("aria-invalid")).toBe("true");
    fireEvent.change(screen.getByLabelText("Bug number"), { target: { value: "" } });
    fireEvent.click(screen.getByRole("button", { name: "Classify" }));
    await waitFor(() => expect(screen.getByRole("alert").textContent).toBe("No job with id 7."));
    expect(screen.getByLabelText("Bug number").getAttribute("aria-invalid")).toBeNull();
    expect(showJob).not.toHaveBeenCalled();
  });

  it("checks the bug field before sending, and needs a bug to link", async () => {
    const { sent } = renderForm(SIGNED_IN);
    await screen.findByText(/Signed in as/);
    fireEvent.click(screen.getByRole("button", { name: "Link bug only" }));
    await waitFor(() => expect(screen.getByRole("alert").textContent).toBe("Enter the bug number to link."));
    fireEvent.change(screen.getByLabelText("Bug number"), { target: { value: "12x" } });
    fireEvent.click(screen.getByRole("button", { name: "Classify" }));
    await waitFor(() => expect(screen.getByRole("alert").textContent).toMatch(/digits only/));
    expect(document.activeElement).toBe(screen.getByLabelText("Bug number"));
    expect(sent.filter((r) => r.operation === "ClassifyJobs" || r.operation === "LinkBug")).toEqual([]);
  });

  it("a refusal (the session expired) offers to sign in again", async () => {
    renderForm({
      ...SIGNED_IN,
      LinkBug: { data: null, errors: [{ message: "Sign in.", extensions: { code: "UNAUTHENTICATED" } }] },
    });
    await screen.findByText(/Signed in as/);
    fireEvent.change(screen.getByLabelText("Bug number"), { target: { value: "5" } });
    fireEvent.click(screen.getByRole("button", { name: "Link bug only" }));
    await waitFor(() => expect(screen.getByRole("alert").textContent).toMatch(/not signed in/));
    expect(screen.getByRole("link", { name: "Sign in" })).toBeTruthy();
  });

  it("linkBug: says whether it was new", async () => {
    const { showJob } = renderForm({
      ...SIGNED_IN,
      LinkBug: { data: { linkBug: { __typename: "BugLinked", created: false, job: classified } } },
    });
    await screen.findByText(/Signed in as/);
    fireEvent.change(screen.getByLabelText("Bug number"), { target: { value: "77" } });
    fireEvent.click(screen.getByRole("button", { name: "Link bug only" }));
    await screen.findByText("Bug 77 was already linked: nothing changed.");
    expect(showJob).toHaveBeenCalledWith(classified);
  });
});

describe("DetailsPanel with the form", () => {
  it("a bug suggestion's Use button fills the bug number (signed in only)", async () => {
    const { fetch } = fakeFetch(SIGNED_IN);
    vi.stubGlobal("fetch", fetch);
    render(<DetailsPanel job={jobDetails()} error={null} onClose={() => undefined} onShowJob={() => undefined} bugzillaUrl="https://bz.example" />);
    const use = await screen.findByRole("button", { name: "Use bug 1900123 in the classify form" });
    fireEvent.click(use);
    await waitFor(() => expect((screen.getByLabelText("Bug number") as HTMLInputElement).value).toBe("1900123"));
    // Edited, then picked again: the pick wins again.
    fireEvent.change(screen.getByLabelText("Bug number"), { target: { value: "1" } });
    fireEvent.click(use);
    await waitFor(() => expect((screen.getByLabelText("Bug number") as HTMLInputElement).value).toBe("1900123"));
  });

  it("a bug picked for one job is not filled into the next job's form", async () => {
    const { fetch } = fakeFetch(SIGNED_IN);
    vi.stubGlobal("fetch", fetch);
    const panel = (job: JobDetails) => (
      <DetailsPanel job={job} error={null} onClose={() => undefined} onShowJob={() => undefined} bugzillaUrl="https://bz.example" />
    );
    const { rerender } = render(panel(jobDetails()));
    fireEvent.click(await screen.findByRole("button", { name: "Use bug 1900123 in the classify form" }));
    await waitFor(() => expect((screen.getByLabelText("Bug number") as HTMLInputElement).value).toBe("1900123"));
    rerender(panel(jobDetails({ databaseId: 8 })));
    await screen.findByText(/Signed in as/);
    expect((screen.getByLabelText("Bug number") as HTMLInputElement).value).toBe("");
  });

  it("signed out: suggestions are links only", async () => {
    const { fetch } = fakeFetch(SIGNED_OUT);
    vi.stubGlobal("fetch", fetch);
    render(<DetailsPanel job={jobDetails()} error={null} onClose={() => undefined} onShowJob={() => undefined} bugzillaUrl="https://bz.example" />);
    await screen.findByRole("link", { name: "Sign in to classify" });
    expect(screen.getByRole("link", { name: "Bug 1900123" })).toBeTruthy();
    expect(screen.queryByRole("button", { name: /Use bug/ })).toBeNull();
  });
});
