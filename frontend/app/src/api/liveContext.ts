// The page's live connection for components that subscribe on their own (the Push Health panel):
// the job view session provides it, so they share its one WebSocket; tests provide a fake.
import { createContext, useContext } from "react";
import type { LiveSubscription } from "./live";

export interface LiveSource {
  watch<TData>(sub: LiveSubscription<TData>): () => void;
}

export const LiveContext = createContext<LiveSource | null>(null);

export function useLiveSource(): LiveSource | null {
  return useContext(LiveContext);
}
