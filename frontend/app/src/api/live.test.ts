import { afterEach, describe, expect, it } from "vitest";
import { CLOSE_GOING_AWAY, createLive, retryDelay, type ConnectionState } from "./live";

/** A WebSocket a test plays the server of: graphql-transport-ws frames, recorded and answered. */
class FakeSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  static sockets: FakeSocket[] = [];
  readonly protocol = "graphql-transport-ws";
  readyState = 0;
  sent: Array<{ type: string; id?: string; payload?: { variables?: Record<string, unknown> } }> = [];
  onopen: (() => void) | null = null;
  onclose: ((event: { code: number; reason: string; wasClean: boolean }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: string }) => void) | null = null;

  constructor(
    readonly url: string,
    readonly protocols: string,
  ) {
    FakeSocket.sockets.push(this);
    setTimeout(() => {
      this.readyState = 1;
      this.onopen?.();
    }, 0);
  }

  send(data: string): void {
    const message = JSON.parse(data) as FakeSocket["sent"][number];
    this.sent.push(message);
    if (message.type === "connection_init") this.receive({ type: "connection_ack" });
  }

  receive(message: object): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }

  close(code = 1000, reason = ""): void {
    this.drop(code, reason);
  }

  /** The connection is lost (the server went away). */
  drop(code = 1006, reason = ""): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({ code, reason, wasClean: code === 1000 });
  }

  subscriptions() {
    return this.sent.filter((m) => m.type === "subscribe");
  }
}

function at<T>(list: readonly T[], index: number): T {
  const item = list[index];
  if (item === undefined) throw new Error(`nothing at ${index}`);
  return item;
}

const until = async (condition: () => boolean) => {
  for (let i = 0; i < 400 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(condition()).toBe(true);
};

afterEach(() => {
  FakeSocket.sockets = [];
});

describe("live subscriptions", () => {
  it("resume after a lost connection from the last cursor seen, and say so", async () => {
    const states: ConnectionState[] = [];
    const live = createLive((state) => states.push(state), "ws://test/graphql", FakeSocket);
    const seen: string[] = [];
    live.subscribe<{ jobChanged: { cursor: string } }>({
      document: "subscription ($after: String) { jobChanged(repository: \"autoland\", after: $after) { cursor } }",
      variables: { after: "100" },
      next: (data) => {
        seen.push(data.jobChanged.cursor);
        return data.jobChanged.cursor;
      },
      error: () => undefined,
    });
    await until(() => FakeSocket.sockets[0]?.subscriptions().length === 1);
    const first = at(FakeSocket.sockets, 0);
    const id = at(first.subscriptions(), 0).id;
    expect(at(first.subscriptions(), 0).payload?.variables?.["after"]).toBe("100");
    expect(states).toContain("live");

    first.receive({ type: "next", id, payload: { data: { jobChanged: { cursor: "101" } } } });
    first.receive({ type: "next", id, payload: { data: { jobChanged: { cursor: "102" } } } });
    first.drop();
    await until(() => states.includes("reconnecting"));

    await until(() => FakeSocket.sockets[1]?.subscriptions().length === 1);
    const second = at(FakeSocket.sockets, 1);
    const resumed = at(second.subscriptions(), 0);
    expect(resumed.payload?.variables?.["after"]).toBe("102");
    await until(() => states.at(-1) === "resynced");
    second.receive({ type: "next", id: resumed.id, payload: { data: { jobChanged: { cursor: "103" } } } });
    expect(seen).toEqual(["101", "102", "103"]);
    live.dispose();
  });

  it("reconnect at once after the server said it is going away (1001), with backoff otherwise", () => {
    const half = () => 0.5; // the middle of the jitter
    expect(retryDelay(0, CLOSE_GOING_AWAY, half)).toBe(125);
    expect(retryDelay(0, CLOSE_GOING_AWAY, () => 0)).toBe(0);
    // A restart that takes longer: the next attempts back off as after any other close.
    expect(retryDelay(1, CLOSE_GOING_AWAY, half)).toBe(1000);
    expect(retryDelay(0, 1006, half)).toBe(500); // dropped without a close frame (a crash)
    expect(retryDelay(0, undefined, half)).toBe(500);
    expect(retryDelay(3, 1006, half)).toBe(4000);
    expect(retryDelay(10, 1006, half)).toBe(10_000);
  });
});
