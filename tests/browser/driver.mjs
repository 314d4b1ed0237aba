// Headless Chromium (Debian's) driven by playwright-core, remote-controlled over stdin/stdout:
// one JSON command per line in, one JSON answer per line out. The Python side
// (tests/support/browser.py) runs it for the end-to-end tests and bench/ui. Every request to a host
// other than the server's is blocked and recorded: the pages must need nothing from outside.
// Every Content-Security-Policy violation a page reports (securitypolicyviolation, on every page
// of the context, across navigations) is recorded too: the tests fail on any.
//
// commands: open {url, width, height} | goto {url} | viewport {width, height} | eval {expression}
//           waitFor {expression, timeout}
//           click {selector} | press {key} | screenshot {path, fullPage} | axe {} | heap {} | report {}
//           fill {selector, value} | focus {selector} | type {text} | clickToNavigate {selector}
import { createInterface } from "node:readline";
import AxeBuilder from "@axe-core/playwright";
import { chromium } from "playwright-core";

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-dev-shm-usage", "--enable-precise-memory-info"],
});
let context = null;
let page = null;
let cdp = null;
const report = { blocked: [], pageErrors: [], consoleErrors: [], cspViolations: [] };

const commands = {
  async open({ url, width = 1280, height = 900 }) {
    const allowedHost = new URL(url).host;
    context = await browser.newContext({ viewport: { width, height } });
    await context.route("**/*", (route) => {
      const target = new URL(route.request().url());
      if (target.host === allowedHost || target.protocol === "data:" || target.protocol === "blob:") {
        return route.continue();
      }
      report.blocked.push(target.href);
      return route.abort();
    });
    await context.exposeBinding("__thCspViolation", (_source, violation) => report.cspViolations.push(violation));
    await context.addInitScript(() => {
      document.addEventListener("securitypolicyviolation", (event) =>
        window.__thCspViolation(`${event.effectiveDirective} ${event.blockedURI} (${event.sourceFile}:${event.lineNumber})`),
      );
    });
    page = await context.newPage();
    page.on("pageerror", (error) => report.pageErrors.push(String(error)));
    page.on("console", (message) => {
      if (message.type() === "error") report.consoleErrors.push(message.text());
    });
    cdp = await context.newCDPSession(page);
    await page.goto(url);
    return page.url();
  },
  async goto({ url }) {
    await page.goto(url);
    return page.url();
  },
  async viewport({ width, height }) {
    await page.setViewportSize({ width, height });
    return true;
  },
  async eval({ expression }) {
    return await page.evaluate(expression);
  },
  async waitFor({ expression, timeout = 30000 }) {
    // As a function, not the bare string: Playwright evals a string predicate in the page on every
    // poll, which a policy without 'unsafe-eval' (the job view's) refuses; a function's source is
    // evaluated once, inside Playwright's own DevTools call (which the page's CSP does not govern),
    // and then called on every frame.
    const predicate = new Function(`return (${expression});`);
    const handle = await page.waitForFunction(predicate, null, { timeout, polling: "raf" });
    return await handle.jsonValue();
  },
  async click({ selector }) {
    await page.click(selector);
    return true;
  },
  async fill({ selector, value }) {
    await page.fill(selector, value);
    return true;
  },
  async focus({ selector }) {
    await page.focus(selector);
    return true;
  },
  async type({ text }) {
    await page.keyboard.type(text);
    return true;
  },
  // A click that loads another page (a link, a form's submit): answers once that page has loaded.
  async clickToNavigate({ selector }) {
    await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click(selector)]);
    return page.url();
  },
  async press({ key }) {
    await page.keyboard.press(key);
    return true;
  },
  async screenshot({ path, fullPage = false }) {
    await page.screenshot({ path, fullPage });
    return path;
  },
  async axe() {
    const results = await new AxeBuilder({ page }).analyze();
    return results.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
    }));
  },
  async heap() {
    await cdp.send("HeapProfiler.collectGarbage");
    const usage = await cdp.send("Runtime.getHeapUsage");
    return usage.usedSize;
  },
  async report() {
    return report;
  },
};

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (!line.trim()) continue;
  const { id, cmd, args } = JSON.parse(line);
  let answer;
  try {
    answer = { id, ok: true, value: await commands[cmd](args ?? {}) };
  } catch (error) {
    answer = { id, ok: false, error: String(error && error.stack ? error.stack : error) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
}
await browser.close();
