// Screenshots of every console page at a desktop's and a phone's width.
// Usage: node scripts/console-screenshots.mjs '<json>' with the base URL,
// the folder to write, the admin token, and a settlement, an
// authorization and a provider to show. Prints each file written.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { DESKTOP, PHONE, launch, signIn } from "./console-browser.mjs";

const t = JSON.parse(process.argv[2]);
const q = encodeURIComponent;
const pub = [
  ["exchange", "/console"],
  ["explorer", "/console/settlements"],
  ["explorer-search", `/console/settlements?q=${q(t.provider)}`],
  ["settlement", `/console/settlement?uri=${q(t.settlement)}`],
  ["authorization", `/console/authorization?uri=${q(t.authorization)}`],
  ["provider", `/console/provider?did=${q(t.provider)}`],
  ["sign-in", "/console/operator/sign-in"],
];
const operator = [
  ["operator", "/console/operator"],
  ["reconciliation", "/console/operator/reconciliation"],
];

mkdirSync(t.dir, { recursive: true });
const browser = await launch();
try {
  for (const [label, viewport] of [["desktop", DESKTOP], ["phone", PHONE]]) {
    const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
    const page = await context.newPage();
    const shoot = async (name, path) => {
      const response = await page.goto(`${t.base}${path}`);
      if (!response || response.status() >= 400) {
        throw new Error(`${path} answered ${response && response.status()}`);
      }
      const file = join(t.dir, `${name}-${label}.png`);
      await page.screenshot({ path: file, fullPage: true });
      console.log(file);
    };
    for (const [name, path] of pub) await shoot(name, path);
    await signIn(page, t.base, t.token);
    for (const [name, path] of operator) await shoot(name, path);
    await context.close();
  }
} finally {
  await browser.close();
}
