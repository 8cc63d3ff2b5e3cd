/**
 * A real headless Chromium for page tests: Debian's `chromium` (CI installs it, see .ci/run), driven
 * by playwright-core with `executablePath`. Never downloads a browser. Each launch gets a fresh
 * profile directory (removed on close) and runs offline-friendly: no background networking, no
 * component updates, no first-run UI.
 *
 * `LSTMC_CHROMIUM` points at another binary. Suites skip only outside CI (`CI` unset) when no browser
 * is found; in CI they run and fail on the missing browser, as the PyTorch suites do (./python.ts).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BrowserContext } from 'playwright-core';

export const CHROMIUM_CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
] as const;

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
] as const;

export function findChromium(): { ok: true; path: string } | { ok: false; reason: string } {
  const fromEnv = process.env.LSTMC_CHROMIUM;
  const candidates = fromEnv ? [fromEnv] : [...CHROMIUM_CANDIDATES];
  const found = candidates.find((c) => existsSync(c));
  if (found) return { ok: true, path: found };
  return {
    ok: false,
    reason: `No Chromium found (tried ${candidates.join(', ')}). Install it (Debian/Ubuntu: apt-get install chromium) or set LSTMC_CHROMIUM.`,
  };
}

/** Whether a browser suite skips: only without a browser and outside CI. Says why when it skips. */
export function skipWithoutChromium(suite: string): boolean {
  const c = findChromium();
  if (c.ok || process.env.CI) return false;
  console.warn(`${suite}: skipped. ${c.reason}`);
  return true;
}

export interface Chromium {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Launches headless Chromium with a fresh profile; throws (with the install hint) when there is none. */
export async function launchChromium(): Promise<Chromium> {
  const c = findChromium();
  if (!c.ok) throw new Error(c.reason);
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(path.join(tmpdir(), 'lstmc-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: c.path,
    headless: true,
    args: [...CHROMIUM_ARGS],
    offline: true,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
