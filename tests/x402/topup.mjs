// Tops up a requester through the exchange's x402-protected deposit route
// with the x402 protocol's own TypeScript SDK (@x402/fetch).
// Usage: node topup.mjs URL PRIVATE_KEY NETWORK TOKEN MAX_UNITS [REQUESTER]
// With REQUESTER, the payment is made by a scheme client that binds the
// deposit to that DID (the exchange's `settlementDeposit` extension: the
// EIP-3009 nonce is keccak256("settlement-deposit-v1:" || DID || salt), the
// salt travels in the payment's extensions). Without it, by the SDK's own
// ExactEvmScheme, whose nonce is random (the exchange refuses it).
// The local chain's token is not one of the SDK's default assets, so it is
// allowed explicitly, capped at MAX_UNITS per payment.
// Prints one JSON line: {status, body, paymentResponse}.
import { wrapFetchWithPaymentFromConfig, decodePaymentResponseHeader } from "@x402/fetch";
import { ExactEvmScheme } from "@x402/evm";
import { concat, getAddress, keccak256, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";

const [url, key, network, token, maxUnits, requester] = process.argv.slice(2);
if (!url || !key || !network || !token || !maxUnits) {
  console.error("usage: node topup.mjs URL PRIVATE_KEY NETWORK TOKEN MAX_UNITS [REQUESTER]");
  process.exit(2);
}

// The `exact` scheme over EIP-3009, with the nonce bound to one requester.
class BoundDepositScheme {
  constructor(account, did) {
    this.account = account;
    this.did = did;
    this.scheme = "exact";
  }

  async createPaymentPayload(x402Version, requirements) {
    const salt = toHex(crypto.getRandomValues(new Uint8Array(32)));
    const nonce = keccak256(concat([toHex(`settlement-deposit-v1:${this.did}`), salt]));
    const now = Math.floor(Date.now() / 1000);
    const authorization = {
      from: this.account.address,
      to: getAddress(requirements.payTo),
      value: requirements.amount,
      validAfter: "0",
      validBefore: String(now + requirements.maxTimeoutSeconds),
      nonce,
    };
    const signature = await this.account.signTypedData({
      domain: {
        name: requirements.extra.name,
        version: requirements.extra.version,
        chainId: Number(requirements.network.split(":")[1]),
        verifyingContract: getAddress(requirements.asset),
      },
      types: {
        TransferWithAuthorization: [
          { name: "from", type: "address" },
          { name: "to", type: "address" },
          { name: "value", type: "uint256" },
          { name: "validAfter", type: "uint256" },
          { name: "validBefore", type: "uint256" },
          { name: "nonce", type: "bytes32" },
        ],
      },
      primaryType: "TransferWithAuthorization",
      message: {
        ...authorization,
        value: BigInt(authorization.value),
        validAfter: 0n,
        validBefore: BigInt(authorization.validBefore),
      },
    });
    return {
      x402Version,
      payload: { authorization, signature },
      extensions: { settlementDeposit: { salt } },
    };
  }
}

const account = privateKeyToAccount(key);
const client = requester ? new BoundDepositScheme(account, requester) : new ExactEvmScheme(account);
const pay = wrapFetchWithPaymentFromConfig(fetch, {
  schemes: [{ network, client }],
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
