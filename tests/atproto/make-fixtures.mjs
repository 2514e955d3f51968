// Makes signed AT Protocol repositories and record proofs with the
// reference implementation (@atproto/repo, @atproto/crypto), for the
// engine's tests to check. Reads a request as JSON on stdin, writes the
// fixtures as JSON on stdout. Keys come from the request (32-byte hex
// private keys), so fixtures are reproducible in content.
//
// Request:
//   { "repos": [ { "did", "alg": "p256" | "k256", "key": HEX,
//                  "filler": N,            // extra records, for a deeper tree
//                  "records": [ { "collection", "rkey", "value" } ],
//                  "absent": [ { "collection", "rkey" } ] } ],
//     "tokens": [ { "alg": "p256" | "k256", "key": HEX, "header"?: {...},
//                   "payload": {...} } ] }
// Answer:
//   { "repos": [ { "did", "didKey", "multikey", "commit",
//                  "proofs": { "COLLECTION/RKEY": { "cid", "car", "cut", "altered" } },
//                  "absent": { "COLLECTION/RKEY": CAR } } ],
//     "tokens": [ JWT ] }
// CARs are standard base64. `cut` lacks the deepest tree node on the
// record's path; `altered` carries other record bytes under the record's
// CID; `absent` holds what the repository answers for keys it does not
// hold (the commit and the tree path that shows the key is not there).

import {
  BlockMap,
  MemoryBlockstore,
  Repo,
  WriteOpAction,
  blocksToCarFile,
  getRecords,
  readCarWithRoot,
  concatBytesAsync,
} from '@atproto/repo'
import { keypair, readStdinJson } from '../../scripts/atproto-common.mjs'
import { encode, decode } from '@atproto/lex-cbor'
import { jsonToLex } from '@atproto/lex-json'

const input = await readStdinJson()

const b64 = (bytes) => Buffer.from(bytes).toString('base64')
const b64url = (bytes) => Buffer.from(bytes).toString('base64url')

async function makeRepo(spec) {
  const kp = await keypair(spec.alg, spec.key)
  const storage = new MemoryBlockstore()
  const writes = []
  for (const r of spec.records) {
    writes.push({
      action: WriteOpAction.Create,
      collection: r.collection,
      rkey: r.rkey,
      record: jsonToLex(r.value),
    })
  }
  for (let i = 0; i < (spec.filler ?? 0); i++) {
    writes.push({
      action: WriteOpAction.Create,
      collection: 'app.example.filler',
      rkey: `filler${String(i).padStart(5, '0')}`,
      record: { $type: 'app.example.filler', n: i },
    })
  }
  const repo = await Repo.create(storage, spec.did, kp, writes)
  const proof = async (collection, rkey) =>
    concatBytesAsync(getRecords(storage, repo.cid, [{ collection, rkey }]))
  const proofs = {}
  for (const r of spec.records) {
    const key = `${r.collection}/${r.rkey}`
    const car = await proof(r.collection, r.rkey)
    const recordCid = await repo.data.get(key)
    const path = await repo.data.cidsForPath(key)
    // path = [root node, ..., deepest node, record]
    const deepest = path[path.length - 2]
    const { root, blocks } = await readCarWithRoot(car)
    const cutBlocks = new BlockMap()
    for (const [cid, bytes] of blocks) {
      if (!cid.equals(deepest)) cutBlocks.set(cid, bytes)
    }
    const alteredBlocks = new BlockMap()
    for (const [cid, bytes] of blocks) {
      if (cid.equals(recordCid)) {
        const value = decode(bytes)
        alteredBlocks.set(cid, encode({ ...value, altered: true }))
      } else {
        alteredBlocks.set(cid, bytes)
      }
    }
    proofs[key] = {
      cid: recordCid.toString(),
      car: b64(car),
      cut: b64(await blocksToCarFile(root, cutBlocks)),
      altered: b64(await blocksToCarFile(root, alteredBlocks)),
    }
  }
  const absent = {}
  for (const a of spec.absent ?? []) {
    absent[`${a.collection}/${a.rkey}`] = b64(await proof(a.collection, a.rkey))
  }
  return {
    did: spec.did,
    didKey: kp.did(),
    multikey: kp.did().slice('did:key:'.length),
    commit: repo.cid.toString(),
    proofs,
    absent,
  }
}

async function makeToken(spec) {
  const kp = await keypair(spec.alg, spec.key)
  const header = spec.header ?? { typ: 'JWT', alg: kp.jwtAlg }
  const signingInput =
    b64url(Buffer.from(JSON.stringify(header))) + '.' +
    b64url(Buffer.from(JSON.stringify(spec.payload)))
  const sig = await kp.sign(Buffer.from(signingInput, 'utf8'))
  return `${signingInput}.${b64url(sig)}`
}

const out = { repos: [], tokens: [] }
for (const spec of input.repos ?? []) out.repos.push(await makeRepo(spec))
for (const spec of input.tokens ?? []) out.tokens.push(await makeToken(spec))
process.stdout.write(JSON.stringify(out))
