// From the API's shapes to the grid's: job table columns and event payloads become Job records.
import type { JobEventFieldsFragment, JobTableFieldsFragment, PushFieldsFragment } from "../generated/graphql";
import type { Job } from "../model/jobs";

export type PushStatus = PushFieldsFragment["status"];

export interface Push {
  id: number;
  revision: string;
  author: string;
  /** Epoch milliseconds. */
  time: number;
  commitCount: number;
  commits: PushFieldsFragment["commits"];
  status: PushStatus;
}

export function pushFromApi(push: PushFieldsFragment): Push {
  return {
    id: push.databaseId,
    revision: push.revision,
    author: push.author,
    time: Date.parse(push.time),
    commitCount: push.commitCount,
    commits: push.commits,
    status: push.status,
  };
}

/** Rows of a job table as Job records: reference lists are resolved once per distinct index. */
export function jobsFromTable(table: JobTableFieldsFragment): Job[] {
  const options = table.optionCollections.map((collection) => collection.options.join(" "));
  const jobs: Job[] = new Array<Job>(table.count);
  for (let i = 0; i < table.count; i++) {
    const type = table.jobTypes[table.jobType[i] ?? -1];
    const group = table.jobGroups[table.jobGroup[i] ?? -1];
    jobs[i] = {
      id: table.id[i] ?? 0,
      pushId: table.pushId[i] ?? 0,
      state: table.state[i] ?? "PENDING",
      result: table.result[i] ?? "UNKNOWN",
      tier: table.tier[i] ?? 1,
      failureClassificationId: table.failureClassificationId[i] ?? 1,
      typeName: type?.name ?? "",
      typeSymbol: type?.symbol ?? "?",
      groupName: group?.name ?? "",
      groupSymbol: group?.symbol ?? "?",
      platform: table.platforms[table.platform[i] ?? -1]?.platform ?? "",
      options: options[table.options[i] ?? -1] ?? "",
      lastModified: table.lastModified[i] ?? 0,
    };
  }
  return jobs;
}

export function jobFromEvent(job: JobEventFieldsFragment): Job {
  return {
    id: job.databaseId,
    pushId: job.push.databaseId,
    state: job.state,
    result: job.result,
    tier: job.tier,
    failureClassificationId: job.failureClassification.databaseId,
    typeName: job.jobType.name,
    typeSymbol: job.jobType.symbol,
    groupName: job.jobGroup.name,
    groupSymbol: job.jobGroup.symbol,
    platform: job.platform.platform,
    options: [...job.options].sort().join(" "),
    lastModified: Date.parse(job.lastModified),
  };
}
