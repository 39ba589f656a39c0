/**
 * The status page in a real browser (headless Chromium): the server's page
 * lists a connected client's CN and drops it when the client stops, and
 * logs both events; the client's page shows its pipe's state. The page
 * refreshes itself: the test only waits on the DOM, bounded.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "../support/browser.ts";
import { makeTestPki, startClientProcess, startServerProcess, type ServerProcess, type TestPki } from "../support/index.ts";

const WAIT_MS = 8_000;

let pki: TestPki;
let server: ServerProcess;
let chromium: Browser;
let page: Page;

beforeAll(async () => {
  pki = await makeTestPki();
  server = await startServerProcess(pki.server.dir);
  chromium = await launchChromium();
  page = await chromium.newPage();
});

afterAll(async () => {
  await chromium?.close();
  await server?.proc.stop();
  await pki?.cleanup();
});

describe("the server's status page", () => {
  test("a client's CN appears when it connects and disappears when it stops", async () => {
    await page.goto(`${server.http}/_rp/`);
    await page.locator("#state", { hasText: "listening" }).waitFor({ timeout: WAIT_MS });
    expect(await page.locator("#clients tbody tr").count()).toBe(0);

    const identity = await pki.client("browser-seen-1", { labels: { role: "db", site: "fra" } });
    const client = await startClientProcess(identity.dir, server.pipePort);
    const row = page.locator('#clients tbody tr[data-cn="browser-seen-1"]');
    try {
      await row.waitFor({ timeout: WAIT_MS });
      const cells = await row.locator("td").allTextContents();
      expect(cells[0]).toBe("browser-seen-1");
      expect(cells[1]).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(cells[2]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(\d+s\)$/);
      expect(cells[6]).toBe("role=db,site=fra");
      expect(await page.locator("#client-count").textContent()).toBe("1");
    } finally {
      await client.proc.stop();
    }
    await row.waitFor({ state: "detached", timeout: WAIT_MS });
    expect(await page.locator("#client-count").textContent()).toBe("0");
    const events = page.locator("#events tbody tr");
    await page.locator('#events tbody tr[data-kind="disconnected"]').first().waitFor({ timeout: WAIT_MS });
    const texts = await events.allTextContents();
    expect(texts[0]).toContain("disconnected");
    expect(texts[0]).toContain("browser-seen-1");
    expect(texts[1]).toContain("connected");
  });

  test("a CN is shown as text, never as markup", async () => {
    const identity = await pki.client("<b>bold</b>");
    const client = await startClientProcess(identity.dir, server.pipePort);
    try {
      await page.goto(`${server.http}/_rp`);
      const row = page.locator('#clients tbody tr[data-cn="<b>bold</b>"]');
      await row.waitFor({ timeout: WAIT_MS });
      expect(await row.locator("td").first().textContent()).toBe("<b>bold</b>");
      expect(await page.locator("#clients b").count()).toBe(0);
    } finally {
      await client.proc.stop();
    }
  });
});

describe("the client's status page", () => {
  test("shows the pipe's state, the server's name and the reconnects", async () => {
    const identity = await pki.client("browser-client");
    const client = await startClientProcess(identity.dir, server.pipePort);
    try {
      const own = await chromium.newPage();
      await own.goto(`${client.http}/_rp/`);
      await own.locator("#state", { hasText: "connected" }).waitFor({ timeout: WAIT_MS });
      const cells = await Promise.all((await own.locator("#pipe tbody tr").all()).map((tr) => tr.locator("td").allTextContents()));
      const rows = Object.fromEntries(cells.map(([key, value]) => [key, value]));
      expect(rows["State"]).toBe("connected");
      expect(rows["Server"]).toBe("localhost");
      expect(rows["Reconnects"]).toBe("0");
      await own.close();
    } finally {
      await client.proc.stop();
    }
  });
});
