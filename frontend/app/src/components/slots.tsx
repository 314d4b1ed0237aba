// Where later work plugs into the job view without touching its layout:
// - jobPanelSections: extra sections of the details panel (bug suggestions once failure analysis
//   serves them, the classify / link-bug form once sheriffing lands); each gets the job's details.
// - pushActions: per-push links or buttons in the push header (Push Health).
// Both are empty today; an entry is a title and a component.
import type { ComponentType } from "react";
import type { JobDetailsQuery } from "../generated/graphql";

export type JobDetails = NonNullable<JobDetailsQuery["job"]>;

export interface PanelSection {
  key: string;
  title: string;
  Component: ComponentType<{ job: JobDetails }>;
}

export const jobPanelSections: PanelSection[] = [];

export interface PushAction {
  key: string;
  Component: ComponentType<{ repo: string; revision: string; pushId: number }>;
}

export const pushActions: PushAction[] = [];
