// What the AT Protocol scripts share: their JSON request on stdin, and the
// signing keys it names (32-byte hex private keys, P-256 or secp256k1).

import { P256Keypair, Secp256k1Keypair } from '@atproto/crypto'

export const readStdinJson = () => new Promise((resolve, reject) => {
  let text = ''
  process.stdin.setEncoding('utf8')
  process.stdin.on('data', (chunk) => (text += chunk))
  process.stdin.on('end', () => resolve(JSON.parse(text)))
  process.stdin.on('error', reject)
})

export const keypair = (alg, hex) => {
  const bytes = Buffer.from(hex, 'hex')
  if (alg === 'p256') return P256Keypair.import(bytes, { exportable: true })
  if (alg === 'k256') return Secp256k1Keypair.import(bytes, { exportable: true })
  throw new Error(`unknown alg ${alg}`)
}
