// Tops up a requester through the exchange's x402-protected deposit route
// with the x402 protocol's own TypeScript SDK (@x402/fetch + @x402/evm).
// Usage: node topup.mjs URL PRIVATE_KEY NETWORK TOKEN MAX_UNITS
// The local chain's token is not one of the SDK's default assets, so it is
// allowed explicitly, capped at MAX_UNITS per payment.
// Prints one JSON line: {status, body, paymentResponse}.
import { wrapFetchWithPaymentFromConfig, decodePaymentResponseHeader } from "@x402/fetch";
import { ExactEvmScheme } from "@x402/evm";
import { privateKeyToAccount } from "viem/accounts";

const [url, key, network, token, maxUnits] = process.argv.slice(2);
if (!url || !key || !network || !token || !maxUnits) {
  console.error("usage: node topup.mjs URL PRIVATE_KEY NETWORK TOKEN MAX_UNITS");
  process.exit(2);
}
const account = privateKeyToAccount(key);
const pay = wrapFetchWithPaymentFromConfig(fetch, {
  schemes: [{ network, client: new ExactEvmScheme(account) }],
  spendControls: {
    allowedAssets: [{ network, asset: token, maxAmountPerPayment: maxUnits }],
  },
});
const response = await pay(url, { method: "POST" });
const header = response.headers.get("PAYMENT-RESPONSE");
console.log(
  JSON.stringify({
    status: response.status,
    body: await response.text(),
    paymentResponse: header ? decodePaymentResponseHeader(header) : null,
  }),
);
