// Treeherder's keys: ← → previous/next job; n / p (also j / k) next and previous
// unclassified failure; u unclassified-only; l open the log; Esc close the
// panel. The order is the page's: the job buttons in document order, as the user sees them.

export type KeyAction = "next" | "prev" | "nextFailure" | "prevFailure" | "toggleUnclassified" | "openLog" | "close";

const KEYS: Record<string, KeyAction> = {
  ArrowRight: "next",
  ArrowLeft: "prev",
  n: "nextFailure",
  j: "nextFailure",
  p: "prevFailure",
  k: "prevFailure",
  u: "toggleUnclassified",
  l: "openLog",
  Escape: "close",
};

export function keyAction(event: KeyboardEvent): KeyAction | null {
  if (event.altKey || event.ctrlKey || event.metaKey) return null;
  const target = event.target as HTMLElement | null;
  if (target?.closest("input, select, textarea, [contenteditable]")) return null;
  return KEYS[event.key] ?? null;
}

/** The job after (or before) `current` in page order, optionally only unclassified failures. */
export function neighbourJob(
  root: ParentNode,
  current: number | null,
  direction: 1 | -1,
  unclassifiedOnly: boolean,
): HTMLElement | null {
  const buttons = Array.from(
    root.querySelectorAll<HTMLElement>(unclassifiedOnly ? "[data-job-id][data-unclassified]" : "[data-job-id]"),
  );
  if (buttons.length === 0) return null;
  let index = -1;
  if (current !== null) {
    const all = unclassifiedOnly ? Array.from(root.querySelectorAll<HTMLElement>("[data-job-id]")) : buttons;
    const position = all.findIndex((b) => Number(b.dataset["jobId"]) === current);
    if (position >= 0 && unclassifiedOnly) {
      // The nearest unclassified failure on the requested side of the current job.
      const ordered = direction === 1 ? all.slice(position + 1) : all.slice(0, position).reverse();
      return ordered.find((b) => b.dataset["unclassified"] === "1") ?? null;
    }
    index = position;
  }
  const next = index < 0 ? (direction === 1 ? 0 : buttons.length - 1) : index + direction;
  return buttons[next] ?? null;
}
