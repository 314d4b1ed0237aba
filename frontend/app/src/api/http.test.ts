import { afterEach, describe, expect, it, vi } from "vitest";
import { fakeFetch } from "../test/fixtures";
import { csrfToken, GraphQLError, mutate, query } from "./http";

afterEach(() => {
  vi.unstubAllGlobals();
  document.cookie = "csrftoken=; expires=Thu, 01 Jan 1970 00:00:00 GMT";
});

describe("HTTP GraphQL", () => {
  it("reads the csrftoken cookie among others", () => {
    expect(csrfToken("sessionid=abc; csrftoken=Tok%3D1; other=x")).toBe("Tok=1");
    expect(csrfToken("sessionid=abc")).toBeNull();
  });

  it("sends the CSRF token as X-CSRFToken on mutations, not on queries", async () => {
    document.cookie = "csrftoken=the-token";
    const { fetch, sent } = fakeFetch({ Q: { data: { ok: 1 } }, M: { data: { ok: 2 } } });
    vi.stubGlobal("fetch", fetch);
    await query("query Q { ok }");
    await mutate("mutation M { ok }", {});
    expect(sent.map((r) => [r.operation, r.headers["X-CSRFToken"]])).toEqual([
      ["Q", undefined],
      ["M", "the-token"],
    ]);
  });

  it("throws refusals with their code", async () => {
    const { fetch } = fakeFetch({ M: { data: null, errors: [{ message: "no", extensions: { code: "CSRF_FAILED" } }] } });
    vi.stubGlobal("fetch", fetch);
    const error = await mutate("mutation M { ok }", {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphQLError);
    expect((error as GraphQLError).code).toBe("CSRF_FAILED");
  });
});
