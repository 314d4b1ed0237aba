// Where later work plugs into the job view without touching its layout:
// - jobPanelSections: extra sections of the details panel (the classify / link-bug form); each gets
//   the job's details and the panel's shared state (a bug picked from a suggestion, a way to show
//   a mutation's answer at once).
// - pushActions: per-push links or buttons in the push header (the Push Health badge and panel).
import type { ComponentType } from "react";
import type { JobDetailsFieldsFragment } from "../generated/graphql";
import type { Push } from "../store/convert";
import type { StoredJob } from "../store/jobStore";

export type JobDetails = JobDetailsFieldsFragment;

/** A bug picked from the suggestions; `seq` grows with every pick, so picking the same bug again counts. */
export interface PickedBug {
  bugzillaId: number;
  seq: number;
}

export interface PanelContext {
  picked: PickedBug | null;
  /** Show this version of the job now (a mutation's answer), before the live event arrives. */
  showJob: (job: JobDetails) => void;
}

export interface PanelSection {
  key: string;
  title: string;
  Component: ComponentType<{ job: JobDetails; panel: PanelContext }>;
}

export interface PushActionProps {
  repo: string;
  push: Push;
  /** The push's jobs as the grid holds them (all tiers), and their change counter (a memo key). */
  jobs: ReadonlyMap<number, StoredJob>;
  version: number;
}

export interface PushAction {
  key: string;
  Component: ComponentType<PushActionProps>;
}

// The entries (their modules import only types from here, so there is no import cycle at run time).
import { ClassifyForm } from "./ClassifyForm";
import { PushHealthAction } from "./PushHealth";

export const jobPanelSections: PanelSection[] = [{ key: "classify", title: "Classify", Component: ClassifyForm }];

export const pushActions: PushAction[] = [{ key: "health", Component: PushHealthAction }];
