// The console in a real browser, against a server the Rust test started
// and filled. Usage: node tests/console/browse.mjs '<json>' where the
// JSON names the base URL, the admin token, a verified settlement, a
// tampered one and the check it fails, the provider, the confirmed
// payout's transaction and the private figures no public page may show.
// Exits 0 when every step holds; prints the step that failed otherwise.
import { launch, signIn } from "../../scripts/console-browser.mjs";

const t = JSON.parse(process.argv[2]);
const base = t.base;
const steps = [];
function check(cond, what) {
  if (!cond) throw new Error(`step failed: ${what}`);
  steps.push(what);
}

const browser = await launch();
try {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on("dialog", (d) => d.accept());

  // The explorer finds a settlement by its URI and shows it verified.
  await page.goto(`${base}/console/settlements`);
  await page.getByLabel(/settlement, receipt, authorization or job URI/).fill(t.settlement);
  await page.keyboard.press("Enter");
  await page.waitForURL(/q=/);
  const rows = page.locator("table.lines tbody tr");
  check((await rows.count()) === 1, "the explorer lists exactly the settlement searched for");
  await rows.first().getByRole("link").last().click();
  await page.waitForURL(/\/console\/settlement\?uri=/);
  const verdict = await page.locator("#verdict").innerText();
  check(verdict.startsWith("Verified."), `the settlement is shown verified (${verdict})`);
  check((await page.locator("h1").innerText()).includes("Settlement"), "its page has its heading");

  // Search by DID pages through the provider's settlements.
  await page.goto(`${base}/console/settlements?q=${encodeURIComponent(t.provider)}`);
  check((await rows.count()) === t.provider_settlements, `the provider's ${t.provider_settlements} settlements are listed`);

  // A settlement tampered with in the database is shown failing, with
  // the check that fails.
  await page.goto(`${base}/console/settlement?uri=${encodeURIComponent(t.tampered)}`);
  const failed = await page.locator("#verdict").innerText();
  check(failed.startsWith("Failed."), `the tampered settlement is shown failing (${failed})`);
  check(failed.includes(t.tampered_check), `its reason names ${t.tampered_check}`);

  // The authorization's page: each charge verified or not, the budget.
  await page.goto(`${base}/console/authorization?uri=${encodeURIComponent(t.authorization)}`);
  const budget = page.locator("progress#budget");
  check((await budget.getAttribute("value")) === String(t.charged_minor), "the budget bar shows what was charged");
  check((await page.locator("td .fail").count()) === 1, "one charge (the tampered one) fails");
  check((await page.locator("td .pass").count()) === t.provider_settlements - 1, "the others verify");

  // No public page shows a private balance.
  for (const path of [
    "/console",
    "/console/settlements",
    `/console/provider?did=${encodeURIComponent(t.provider)}`,
    `/console/authorization?uri=${encodeURIComponent(t.authorization)}`,
    `/console/settlement?uri=${encodeURIComponent(t.settlement)}`,
  ]) {
    await page.goto(`${base}${path}`);
    const text = await page.locator("body").innerText();
    for (const secret of t.private) {
      check(!text.includes(secret), `${path} does not show the private figure ${secret}`);
    }
  }

  // The operator signs in, sees the payout confirmed on the local chain
  // and the reconciliation clean, and signs out.
  await page.goto(`${base}/console/operator`);
  check(page.url().endsWith("/console/operator/sign-in"), "the operator's page asks for a sign-in first");
  await page.getByLabel("Admin token").fill("not the token");
  await page.getByRole("button", { name: "Sign in" }).click();
  check((await page.locator(".problem").innerText()).includes("not this exchange's admin token"), "a wrong token is refused");
  await signIn(page, base, t.token);
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === "console_session");
  check(session && session.httpOnly && session.sameSite === "Strict", "the session cookie is HttpOnly and SameSite=Strict");
  const payout = page.locator("table.payouts tbody tr", { hasText: t.tx });
  check((await payout.count()) === 1, "the payout's transaction is listed");
  check((await payout.locator(".state").innerText()) === "confirmed", "the payout is confirmed");
  check((await page.locator("svg.chart").count()) === 3, "three charts are drawn");
  await page.getByRole("link", { name: "Reconciliation" }).click();
  check((await page.locator(".verdict").innerText()).includes("agree on every line"), "the reconciliation is clean");

  // A form posted without its CSRF token is refused and changes nothing.
  // (The sign-out form, its hidden token taken out, submitted as is.)
  await page.evaluate(() =>
    document.querySelector('form[action="/console/operator/sign-out"] input[name="csrf"]').remove(),
  );
  const [refused] = await Promise.all([
    page.waitForNavigation(),
    page.getByRole("button", { name: "Sign out" }).click(),
  ]);
  check(refused.status() === 403, "a sign-out without the CSRF token is refused (403)");
  check((await page.locator(".problem").innerText()).includes("csrf"), "the refusal names the CSRF token");
  await page.goto(`${base}/console/operator`);
  check(page.url().endsWith("/console/operator"), "the session survived the refused form");

  // A form from another site carries no session cookie (SameSite=Strict).
  const evil = await context.newPage();
  await evil.setContent(
    `<form method="post" action="${base}/console/operator/pay-now"><input name="csrf" value="guess"><button>go</button></form>`,
  );
  const [answer] = await Promise.all([evil.waitForNavigation(), evil.click("button")]);
  check(answer && answer.status() === 403, "a cross-site form is refused (403)");

  const [out] = await Promise.all([
    page.waitForNavigation(),
    page.getByRole("button", { name: "Sign out" }).click(),
  ]);
  check(out.status() === 200 && page.url() === `${base}/console`, `signing out leads to the exchange's page (${out.status()} ${page.url()})`);
  check((await page.getByRole("link", { name: "Operator sign-in" }).count()) === 1, "signed out");
  await page.goto(`${base}/console/operator`);
  check(page.url().endsWith("/console/operator/sign-in"), "after sign-out the operator's page asks for a sign-in");
  console.log(steps.map((s) => `ok: ${s}`).join("\n"));
} catch (e) {
  console.log(steps.map((s) => `ok: ${s}`).join("\n"));
  console.error(e.message);
  process.exitCode = 1;
} finally {
  await browser.close();
}
