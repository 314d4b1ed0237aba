// The classify / link-bug form of the details panel (a jobPanelSections entry). Signed-out people
// get a link to sign in that comes back to this view; signed-in people classify the job (a note,
// optionally with a bug) or link a bug on its own. The answer shows at once (the mutation returns
// the job); the grid and other tabs follow through the jobChanged events the server publishes.
import { useEffect, useId, useRef, useState } from "react";
import { mutate } from "../api/http";
import { CLASSIFY_JOBS, LINK_BUG } from "../api/operations";
import type {
  ClassifyJobsMutation,
  ClassifyJobsMutationVariables,
  LinkBugMutation,
  LinkBugMutationVariables,
} from "../generated/graphql";
import { signInUrl, useIdentity } from "../identity";
import {
  choosableClassifications,
  classifyOutcome,
  DEFAULT_CLASSIFICATION,
  errorOutcome,
  linkOutcome,
  parseBugField,
  type Outcome,
} from "../model/sheriffing";
import type { JobDetails, PanelContext } from "./slots";

export function ClassifyForm({ job, panel }: { job: JobDetails; panel: PanelContext }) {
  const identity = useIdentity();
  const id = useId();
  const [classificationId, setClassificationId] = useState(DEFAULT_CLASSIFICATION);
  const [bugText, setBugText] = useState("");
  const [text, setText] = useState("");
  const [outcome, setOutcome] = useState<Outcome>({ kind: "idle" });
  const bugInput = useRef<HTMLInputElement>(null);

  // A bug picked from the suggestions fills the bug field.
  const picked = panel.picked;
  useEffect(() => {
    if (!picked) return;
    setBugText(String(picked.bugzillaId));
    setOutcome({ kind: "idle" });
  }, [picked]);

  if (identity.status === "loading") return <p className="none">Checking who is signed in…</p>;
  if (identity.status === "error") return <p className="none">Cannot tell who is signed in: {identity.message}</p>;
  if (identity.me === null) {
    return (
      <p className="sign-in">
        <a href={signInUrl()} data-testid="sign-in">
          Sign in to classify
        </a>{" "}
        this job or link a bug to it.
      </p>
    );
  }
  const me = identity.me;
  const choices = choosableClassifications(identity.classifications);
  const pending = outcome.kind === "pending";
  const bugError = outcome.kind === "error" && (outcome.field === "bug" || outcome.field?.startsWith("bug") === true);
  const nameOf = (classification: number) =>
    identity.classifications.find((c) => c.databaseId === classification)?.name ?? `classification ${classification}`;

  const finish = (result: Outcome) => {
    setOutcome(result);
    if (result.kind === "success") {
      if (result.job) panel.showJob(result.job);
      setBugText("");
      setText("");
    }
  };

  const readBug = (required: boolean): number | null | undefined => {
    const parsed = parseBugField(bugText);
    if ("error" in parsed) {
      setOutcome({ kind: "error", message: parsed.error, field: "bug", signIn: false });
      bugInput.current?.focus();
      return undefined;
    }
    if (required && parsed.bug === null) {
      setOutcome({ kind: "error", message: "Enter the bug number to link.", field: "bug", signIn: false });
      bugInput.current?.focus();
      return undefined;
    }
    return parsed.bug;
  };

  const classify = async (event: React.FormEvent) => {
    event.preventDefault();
    const bug = readBug(false);
    if (bug === undefined) return;
    setOutcome({ kind: "pending", message: "Classifying…" });
    try {
      const data = await mutate<ClassifyJobsMutation, ClassifyJobsMutationVariables>(CLASSIFY_JOBS, {
        input: {
          jobIds: [job.databaseId],
          classificationId,
          text,
          bug: bug !== null ? { bugzillaId: bug, internalId: null } : null,
        },
      });
      finish(classifyOutcome(data, nameOf(classificationId), bug));
    } catch (error) {
      finish(errorOutcome(error));
    }
  };

  const link = async () => {
    const bug = readBug(true);
    if (bug === undefined || bug === null) return;
    setOutcome({ kind: "pending", message: `Linking bug ${bug}…` });
    try {
      const data = await mutate<LinkBugMutation, LinkBugMutationVariables>(LINK_BUG, {
        jobId: job.databaseId,
        bug: { bugzillaId: bug, internalId: null },
      });
      finish(linkOutcome(data, bug));
    } catch (error) {
      finish(errorOutcome(error));
    }
  };

  return (
    <form className="classify" onSubmit={(event) => void classify(event)} aria-label="Classify this job" aria-busy={pending}>
      <p className="signed-in">
        Signed in as <strong>{me.email || me.username}</strong>
        {me.isSheriff ? " (sheriff)" : ""}
      </p>
      <div className="field">
        <label htmlFor={`${id}-classification`}>Classification</label>
        <select
          id={`${id}-classification`}
          value={classificationId}
          onChange={(event) => setClassificationId(Number(event.target.value))}
        >
          {choices.map((choice) => (
            <option key={choice.databaseId} value={choice.databaseId}>
              {choice.name}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-bug`}>Bug number</label>
        <input
          id={`${id}-bug`}
          ref={bugInput}
          name="bug"
          inputMode="numeric"
          autoComplete="off"
          placeholder="optional, e.g. 1812345"
          value={bugText}
          onChange={(event) => setBugText(event.target.value)}
          aria-invalid={bugError || undefined}
          aria-describedby={bugError ? `${id}-error` : undefined}
        />
      </div>
      <div className="field">
        <label htmlFor={`${id}-text`}>Comment</label>
        <textarea id={`${id}-text`} name="text" rows={2} maxLength={10000} value={text} onChange={(event) => setText(event.target.value)} />
      </div>
      <div className="actions">
        <button type="submit" disabled={pending}>
          Classify
        </button>
        <button type="button" disabled={pending} onClick={() => void link()}>
          Link bug only
        </button>
      </div>
      <p className={`outcome outcome-${outcome.kind}`} role="status" data-testid="classify-status">
        {(outcome.kind === "pending" || outcome.kind === "success") && outcome.message}
      </p>
      <p id={`${id}-error`} className="outcome outcome-error" role="alert" data-testid="classify-error">
        {outcome.kind === "error" && outcome.message}
        {outcome.kind === "error" && outcome.signIn && (
          <>
            {" "}
            <a href={signInUrl()}>Sign in</a>
          </>
        )}
      </p>
    </form>
  );
}
