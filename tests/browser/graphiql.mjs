// Loads GraphiQL from a running server in headless Chromium (Debian's), enters one operation
// through its UI, runs it and prints a JSON report on stdout. Every request to a host other than
// the server's is blocked and counted: GraphiQL must need nothing from outside.
//
// usage: node graphiql.mjs <base url> <type|link> <operation> <screenshot path> [<username> <password>]
// type: open /graphql, select the query editor's text and type the operation over it, key by key.
// link: open /graphql#query=<operation> (the page opens with the operation in its editor).
// With a username, it first signs in through the login form (a session cookie, and the CSRF
// cookie GraphiQL sends back on mutations).
import { chromium } from "playwright-core";

const [baseUrl, mode, operation, screenshot, username, password] = process.argv.slice(2);
const allowedHost = new URL(baseUrl).host;
const report = {
  blocked: [],
  requests: 0,
  pageErrors: [],
  consoleErrors: [],
  cspViolations: [],
  workers: [],
  downloaded: 0,
  csp: null,
  title: null,
  initialEditor: null,
  completions: null,
  editor: null,
  result: null,
};

// GraphiQL 5 edits with Monaco, which renders only the lines in view, each an absolutely placed
// .view-line (not necessarily in document order) with non-breaking spaces: read them by position.
function editorText(selector) {
  const lines = [...document.querySelectorAll(`${selector} .monaco-editor .view-lines .view-line`)];
  return lines
    .sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top))
    .map((line) => line.textContent.replace(/\u00a0/g, " "))
    .join("\n");
}

function responseJson(selector) {
  const text = editorText(selector).trim();
  try {
    return text.startsWith("{") && JSON.parse(text) ? text : null;
  } catch {
    return null; // still being written
  }
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-dev-shm-usage"],
});
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
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
  // The two readers above, as globals of the page.
  await context.addInitScript({
    content: `${editorText}\n${responseJson}\nwindow.editorText = editorText; window.responseJson = responseJson;`,
  });
  // The page's Content-Security-Policy must let GraphiQL work: any violation is recorded.
  await context.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener("securitypolicyviolation", (event) =>
      window.__cspViolations.push(`${event.effectiveDirective} ${event.blockedURI}`),
    );
  });
  const page = await context.newPage();
  page.on("pageerror", (error) => report.pageErrors.push(String(error)));
  page.on("console", (message) => {
    if (message.type() === "error") report.consoleErrors.push(message.text());
  });
  page.on("worker", (worker) => report.workers.push(worker.url()));
  // Bytes as they came over the wire (gzip when WhiteNoise had it): what a first visit costs.
  context.on("requestfinished", (request) => {
    request.sizes().then(
      (sizes) => (report.downloaded += sizes.responseBodySize),
      () => {}, // the browser closed first
    );
  });

  if (username) {
    await page.goto(`${baseUrl}/accounts/login/`, { waitUntil: "networkidle" });
    await page.fill("#id_username", username);
    await page.fill("#id_password", password);
    await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
  }
  const target = mode === "link" ? `${baseUrl}/graphql#query=${encodeURIComponent(operation)}` : `${baseUrl}/graphql`;
  const response = await page.goto(target, { waitUntil: "networkidle" });
  report.csp = response.headers()["content-security-policy"] ?? null;
  report.title = await page.title();
  const queryEditor = ".graphiql-query-editor";
  await page.waitForSelector(`${queryEditor} .monaco-editor .view-line`, { timeout: 30000 });
  // The editor shows its text once Monaco has tokenized it: wait until it is there.
  await page.waitForFunction((sel) => editorText(sel).trim() !== "", queryEditor, { timeout: 30000 });
  report.initialEditor = await page.evaluate((sel) => editorText(sel), queryEditor);

  if (mode === "type") {
    await page.click(`${queryEditor} .monaco-editor .view-lines`);
    await page.keyboard.press("ControlOrMeta+A");
    await page.keyboard.press("Delete");
    // Completion comes from the GraphQL worker, with the schema GraphiQL introspected: "{ repo"
    // must offer the Query fields that start so.
    await page.keyboard.type("{ repo", { delay: 5 });
    await page.keyboard.press("Control+Space");
    const rows = `${queryEditor} .suggest-widget.visible .monaco-list-row`;
    await page.waitForSelector(rows, { timeout: 30000 });
    report.completions = await page.$$eval(`${rows} .label-name`, (labels) => labels.map((l) => l.textContent));
    await page.keyboard.press("Escape");
    await page.keyboard.press("ControlOrMeta+A");
    await page.keyboard.press("Delete");
    // Key by key, as a person types: Monaco closes brackets and quotes and then types over them.
    await page.keyboard.type(operation, { delay: 5 });
    await page.keyboard.press("Escape"); // close the completion list, if open
    await page.keyboard.press("Home"); // back to the start of the line, for the screenshot
  }
  report.editor = await page.evaluate((sel) => editorText(sel), queryEditor);
  // Run at once, within GraphiQL's 100 ms debounce of the editor (it parses the text then): the
  // page's fetcher parses the text it sends (frontend/graphiql/src/operation.ts), so a subscription
  // typed over the query goes over the WebSocket, as typed (before that fix this test had to wait
  // for GraphiQL to store the text, which it does once parsed).
  await page.click(".graphiql-execute-button");
  const responseEditor = ".graphiql-response";
  const text = await page.waitForFunction((sel) => responseJson(sel), responseEditor, { timeout: 30000 });
  report.result = await text.jsonValue();
  report.cspViolations = await page.evaluate(() => window.__cspViolations);
  if (screenshot) await page.screenshot({ path: screenshot });
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(report));
