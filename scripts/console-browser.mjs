// Debian's Chromium driven by playwright-core, for the console's browser
// tests and its screenshots. Nothing is downloaded: the browser is the
// system's (/usr/bin/chromium, or $CHROMIUM).
import { chromium } from "playwright-core";

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    // This machine's network is closed: no background connections, no
    // component updates, no QUIC; --no-sandbox because tests run as root.
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

// Signs in on the console's form with the admin token.
export async function signIn(page, base, token) {
  await page.goto(`${base}/console/operator/sign-in`);
  await page.getByLabel("Admin token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${base}/console/operator**`);
}
