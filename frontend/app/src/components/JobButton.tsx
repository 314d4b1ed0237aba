import { memo } from "react";
import { isFailure, isUnclassifiedFailure, jobStatus, statusLabel, type Job } from "../model/jobs";

/**
 * One job of the grid. Its colour is its state or result, and so are its shape (a failure is bold
 * with a heavy border, running is dashed, pending dotted) and its accessible name and tooltip:
 * colour is never the only signal. Clicks are handled once for the whole list (data-job-id).
 */
export const JobButton = memo(function JobButton({ job, selected }: { job: Job; selected: boolean }) {
  const status = jobStatus(job);
  const unclassified = isUnclassifiedFailure(job);
  const classified = isFailure(job) && !unclassified;
  const label = `${statusLabel(status)}${classified ? " (classified)" : ""}: ${job.typeName} (${job.platform} ${job.options}, tier ${job.tier})`;
  return (
    <button
      type="button"
      className={`job st-${status}${classified ? " classified" : ""}${selected ? " selected" : ""}`}
      data-job-id={job.id}
      data-status={status}
      data-unclassified={unclassified ? "1" : undefined}
      aria-pressed={selected}
      title={label}
    >
      {job.typeSymbol}
      {classified ? "*" : ""}
    </button>
  );
});
