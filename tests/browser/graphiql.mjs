// Loads GraphiQL from a running server in headless Chromium (Debian's), runs one query through
// its UI and prints a JSON report on stdout. Every request to a host other than the server's is
// blocked and counted: GraphiQL must need nothing from outside.
//
// usage: node graphiql.mjs <base url> <query> <screenshot path> [<username> <password>]
// With a username, it first signs in through the login form (a session cookie, and the CSRF
// cookie GraphiQL sends back on mutations).
import { chromium } from "playwright-core";

const [baseUrl, query, screenshot, username, password] = process.argv.slice(2);
const allowedHost = new URL(baseUrl).host;
const report = { blocked: [], requests: 0, pageErrors: [], result: null, title: null, editor: null };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-dev-shm-usage"],
});
try {
  const context = await browser.newContext();
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    report.requests += 1;
    if (url.host === allowedHost || url.protocol === "data:" || url.protocol === "blob:") {
      return route.continue();
    }
    report.blocked.push(url.href);
    return route.abort();
  });
  context.on("websocket", (ws) => {
    if (new URL(ws.url()).host !== allowedHost) report.blocked.push(ws.url());
  });
  const page = await context.newPage();
  page.on("pageerror", (error) => report.pageErrors.push(String(error)));

  if (username) {
    await page.goto(`${baseUrl}/accounts/login/`, { waitUntil: "networkidle" });
    await page.fill("#id_username", username);
    await page.fill("#id_password", password);
    await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
  }
  // The query goes in the URL fragment, which our GraphiQL page opens with.
  await page.goto(`${baseUrl}/graphql#query=${encodeURIComponent(query)}`, { waitUntil: "networkidle" });
  report.title = await page.title();
  await page.waitForSelector(".graphiql-query-editor .CodeMirror", { timeout: 30000 });
  // GraphiQL 3 edits with CodeMirror 5, which exposes its editor on the element.
  report.editor = await page.evaluate(
    () => document.querySelector(".graphiql-query-editor .CodeMirror").CodeMirror.getValue(),
  );
  await page.click(".graphiql-execute-button");
  await page.waitForFunction(
    () => {
      const editor = document.querySelector(".graphiql-response .CodeMirror");
      return editor && editor.CodeMirror.getValue().trim().startsWith("{");
    },
    null,
    { timeout: 30000 },
  );
  report.result = await page.evaluate(() =>
    document.querySelector(".graphiql-response .CodeMirror").CodeMirror.getValue(),
  );
  if (screenshot) await page.screenshot({ path: screenshot });
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(report));
