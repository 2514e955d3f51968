// A PDS, PLC directory and relay in one process, for the engine's tests
// and demo of the AT Protocol network (`settlement::firehose::standin`
// starts it). Repositories are kept in memory by the
// reference implementation (@atproto/repo); every commit is signed with the
// repository's key and streamed as the real `com.atproto.sync.subscribeRepos`
// frames (dag-cbor header and body, the commit's blocks as a CAR holding
// the new blocks and the tree nodes that prove each operation).
//
// Reads a JSON config on stdin:
//   { "repos": [ { "did", "alg": "p256" | "k256", "key": HEX, "password"? } ],
//     "tls"?: { "cert": PEM-FILE, "key": PEM-FILE } }   (https and wss)
// and prints one JSON line on stdout once listening:
//   { "port": N, "repos": [ { "did", "multikey" } ] }
//
// Serves:
//   GET  /{did}                                   DID document (a PLC directory)
//   POST /xrpc/com.atproto.server.createSession    { identifier, password }
//   POST /xrpc/com.atproto.repo.putRecord          Bearer; { repo, collection, rkey, record }
//   GET  /xrpc/com.atproto.sync.getRecord          a CAR: the record's proof (or its absence)
//   GET  /xrpc/com.atproto.repo.listRecords        { records: [ { uri, cid, value } ], cursor }
//   WS   /xrpc/com.atproto.sync.subscribeRepos     ?cursor=N replays what came after N
// and, for the tests to act as the repositories' owners and as the network:
//   POST /_test/write     { did, writes: [ { action, collection, rkey, value? } ], strip? } one commit
//                         (strip: the event carries the signed commit only, no tree nodes)
//   POST /_test/identity  { did }                  an #identity event
//   POST /_test/account   { did, active, status? } an #account event
//   POST /_test/rotate    { did, alg, key }        a new signing key, then an #identity event
//   POST /_test/down      { down }                 putRecord and createSession answer 503 while down
//   POST /_test/plc-down  { down }                 DID documents answer 503 while down
//   POST /_test/hold      { hold }                 the relay closes its streams and refuses new ones while held
//   POST /_test/drop                               closes every stream
//   GET  /_test/record?did&collection&rkey        { cid, value } as the repository holds it

import http from 'node:http'
import https from 'node:https'
import fs from 'node:fs'
import crypto from 'node:crypto'
import { WebSocketServer } from 'ws'
import {
  BlockMap,
  MemoryBlockstore,
  Repo,
  WriteOpAction,
  blocksToCarFile,
  getRecords,
  concatBytesAsync,
} from '@atproto/repo'
import { keypair, readStdinJson } from './atproto-common.mjs'
import { encode } from '@atproto/lex-cbor'
import { jsonToLex, lexToJson } from '@atproto/lex-json'

const config = await readStdinJson()

const repos = new Map()
for (const spec of config.repos) {
  const kp = await keypair(spec.alg, spec.key)
  const storage = new MemoryBlockstore()
  const repo = await Repo.create(storage, spec.did, kp, [])
  repos.set(spec.did, { did: spec.did, kp, storage, repo, password: spec.password ?? null })
}

const sessions = new Map() // access token -> did
const events = [] // { seq, frame }
let seq = 0
let down = false
let plcDown = false
let held = false
const sockets = new Set()

const frame = (t, body) => Buffer.concat([encode({ op: 1, t }), encode(body)])

function emit(t, body) {
  seq += 1
  const f = frame(t, { seq, ...body })
  events.push({ seq, frame: f })
  if (!held) for (const ws of sockets) ws.send(f)
  return seq
}

// One commit of `writes` to `did`'s repository, streamed.
async function commit(did, writes, strip = false) {
  const r = repos.get(did)
  if (!r) throw new Error(`no repository ${did}`)
  const ops = []
  const toWrite = []
  for (const w of writes) {
    const key = `${w.collection}/${w.rkey}`
    const existing = await r.repo.data.get(key)
    if (w.action === 'delete') {
      if (!existing) continue
      toWrite.push({ action: WriteOpAction.Delete, collection: w.collection, rkey: w.rkey })
      ops.push({ action: 'delete', path: key, cid: null, prev: existing })
    } else {
      const record = jsonToLex(w.value)
      const action = existing ? WriteOpAction.Update : WriteOpAction.Create
      toWrite.push({ action, collection: w.collection, rkey: w.rkey, record })
      ops.push({ action: existing ? 'update' : 'create', path: key, prev: existing ?? undefined })
    }
  }
  if (toWrite.length === 0) return { commit: r.repo.cid.toString(), rev: r.repo.commit.rev, seq: null, cids: {} }
  const prevData = r.repo.commit.data
  const data = await r.repo.formatCommit(toWrite, r.kp)
  r.repo = await r.repo.applyCommit(data)
  const cids = {}
  for (const op of ops) {
    if (op.action !== 'delete') {
      op.cid = await r.repo.data.get(op.path)
      cids[op.path] = op.cid.toString()
    }
    if (op.prev === undefined) delete op.prev
  }
  const blocks = new BlockMap()
  if (strip) {
    blocks.set(data.cid, data.newBlocks.get(data.cid))
  } else {
    blocks.addMap(data.newBlocks)
    blocks.addMap(data.relevantBlocks)
  }
  const car = await blocksToCarFile(data.cid, blocks)
  const n = emit('#commit', {
    rebase: false,
    tooBig: false,
    repo: did,
    commit: data.cid,
    rev: data.rev,
    since: data.since,
    blocks: car,
    ops,
    blobs: [],
    prevData,
    time: new Date().toISOString(),
  })
  return { commit: data.cid.toString(), rev: data.rev, seq: n, cids }
}

const read = (req) => new Promise((resolve, reject) => {
  const chunks = []
  req.on('data', (c) => chunks.push(c))
  req.on('end', () => resolve(Buffer.concat(chunks)))
  req.on('error', reject)
})

const send = (res, status, body, type = 'application/json') => {
  const bytes = type === 'application/json' ? Buffer.from(JSON.stringify(body)) : Buffer.from(body)
  res.writeHead(status, { 'content-type': type, 'content-length': bytes.length })
  res.end(bytes)
}
const xrpcError = (res, status, error, message) => send(res, status, { error, message })

let base = ''

async function handle(req, res) {
  const url = new URL(req.url, 'http://localhost')
  const path = url.pathname
  const q = url.searchParams
  if (path.startsWith('/_test/')) {
    if (path === '/_test/record') {
      const r = repos.get(q.get('did'))
      const key = `${q.get('collection')}/${q.get('rkey')}`
      const cid = r && (await r.repo.data.get(key))
      if (!cid) return xrpcError(res, 404, 'RecordNotFound', key)
      const value = await r.repo.getRecord(q.get('collection'), q.get('rkey'))
      return send(res, 200, { cid: cid.toString(), value: lexToJson(value) })
    }
    const body = JSON.parse((await read(req)).toString() || '{}')
    if (path === '/_test/write') return send(res, 200, await commit(body.did, body.writes, !!body.strip))
    if (path === '/_test/identity') return send(res, 200, { seq: emit('#identity', { did: body.did, time: new Date().toISOString() }) })
    if (path === '/_test/account') {
      const ev = { did: body.did, time: new Date().toISOString(), active: body.active }
      if (body.status) ev.status = body.status
      return send(res, 200, { seq: emit('#account', ev) })
    }
    if (path === '/_test/rotate') {
      const r = repos.get(body.did)
      r.kp = await keypair(body.alg, body.key)
      return send(res, 200, { seq: emit('#identity', { did: body.did, time: new Date().toISOString() }) })
    }
    if (path === '/_test/down') {
      down = !!body.down
      return send(res, 200, { down })
    }
    if (path === '/_test/plc-down') {
      plcDown = !!body.down
      return send(res, 200, { down: plcDown })
    }
    if (path === '/_test/hold') {
      held = !!body.hold
      if (held) for (const ws of sockets) ws.terminate()
      return send(res, 200, { held })
    }
    if (path === '/_test/drop') {
      for (const ws of sockets) ws.terminate()
      return send(res, 200, { dropped: true })
    }
    return send(res, 404, { error: 'NotFound' })
  }
  if (path.startsWith('/did:')) {
    if (plcDown) return send(res, 503, { message: 'the directory is down' })
    const did = decodeURIComponent(path.slice(1))
    const r = repos.get(did)
    if (!r) return send(res, 404, { message: 'DID not registered' })
    return send(res, 200, {
      '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
      id: did,
      alsoKnownAs: [`at://${did.slice(8)}.test`],
      verificationMethod: [{
        id: `${did}#atproto`,
        type: 'Multikey',
        controller: did,
        publicKeyMultibase: r.kp.did().slice('did:key:'.length),
      }],
      service: [{ id: '#atproto_pds', type: 'AtprotoPersonalDataServer', serviceEndpoint: base }],
    })
  }
  const writes = path === '/xrpc/com.atproto.server.createSession' || path === '/xrpc/com.atproto.repo.putRecord'
  if (down && writes) return xrpcError(res, 503, 'Unavailable', 'the PDS is down')
  if (path === '/xrpc/com.atproto.server.createSession') {
    const body = JSON.parse((await read(req)).toString())
    const r = repos.get(body.identifier)
    if (!r || !r.password || r.password !== body.password) {
      return xrpcError(res, 401, 'AuthenticationRequired', 'Invalid identifier or password')
    }
    const accessJwt = crypto.randomBytes(24).toString('hex')
    sessions.set(accessJwt, r.did)
    return send(res, 200, { accessJwt, refreshJwt: crypto.randomBytes(24).toString('hex'), did: r.did, handle: `${r.did.slice(8)}.test` })
  }
  if (path === '/xrpc/com.atproto.repo.putRecord') {
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '')
    const body = JSON.parse((await read(req)).toString())
    const who = sessions.get(token)
    if (!who) return xrpcError(res, 401, 'InvalidToken', 'Token could not be verified')
    if (who !== body.repo) return xrpcError(res, 403, 'Forbidden', 'not your repository')
    if (body.record?.$type !== body.collection) return xrpcError(res, 400, 'InvalidRecord', '$type must be the collection')
    const r = repos.get(body.repo)
    const key = `${body.collection}/${body.rkey}`
    const existing = await r.repo.data.get(key)
    const wanted = await (await import('@atproto/lex-cbor')).cidForLex(jsonToLex(body.record))
    if (!existing || !existing.equals(wanted)) {
      await commit(body.repo, [{ action: 'put', collection: body.collection, rkey: body.rkey, value: body.record }])
    }
    const cid = await r.repo.data.get(key)
    return send(res, 200, {
      uri: `at://${body.repo}/${key}`,
      cid: cid.toString(),
      commit: { cid: r.repo.cid.toString(), rev: r.repo.commit.rev },
      validationStatus: 'unknown',
    })
  }
  if (path === '/xrpc/com.atproto.sync.getRecord') {
    const r = repos.get(q.get('did'))
    if (!r) return xrpcError(res, 400, 'RepoNotFound', 'no such repository')
    const car = await concatBytesAsync(getRecords(r.storage, r.repo.cid, [{ collection: q.get('collection'), rkey: q.get('rkey') }]))
    return send(res, 200, car, 'application/vnd.ipld.car')
  }
  if (path === '/xrpc/com.atproto.repo.listRecords') {
    const r = repos.get(q.get('repo'))
    if (!r) return xrpcError(res, 400, 'RepoNotFound', 'no such repository')
    const collection = q.get('collection')
    const limit = Math.min(Number(q.get('limit') ?? 50), 100)
    const after = q.get('cursor')
    const leaves = after
      ? (await r.repo.data.list(limit, `${collection}/${after}`)).filter((l) => l.key.startsWith(`${collection}/`))
      : await r.repo.data.listWithPrefix(`${collection}/`, limit)
    const records = []
    for (const l of leaves) {
      const rkey = l.key.slice(collection.length + 1)
      records.push({ uri: `at://${r.did}/${l.key}`, cid: l.value.toString(), value: lexToJson(await r.repo.getRecord(collection, rkey)) })
    }
    const last = records.length === limit ? records[records.length - 1].uri.split('/').pop() : undefined
    return send(res, 200, last ? { records, cursor: last } : { records })
  }
  return xrpcError(res, 404, 'MethodNotImplemented', path)
}

const listener = (req, res) => {
  handle(req, res).catch((e) => {
    process.stderr.write(`pds: ${e.stack}\n`)
    if (!res.headersSent) xrpcError(res, 500, 'InternalServerError', String(e.message))
  })
}
const server = config.tls
  ? https.createServer({ cert: fs.readFileSync(config.tls.cert), key: fs.readFileSync(config.tls.key) }, listener)
  : http.createServer(listener)

const wss = new WebSocketServer({ noServer: true })
server.on('upgrade', (req, socket, head) => {
  const url = new URL(req.url, 'http://localhost')
  if (held || url.pathname !== '/xrpc/com.atproto.sync.subscribeRepos') {
    socket.destroy()
    return
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    const cursor = url.searchParams.get('cursor')
    if (cursor !== null) {
      const from = Number(cursor)
      if (from > seq) {
        ws.send(Buffer.concat([encode({ op: -1 }), encode({ error: 'FutureCursor', message: 'Cursor in the future.' })]))
        ws.close()
        return
      }
      for (const e of events) if (e.seq > from) ws.send(e.frame)
    }
    sockets.add(ws)
    ws.on('close', () => sockets.delete(ws))
    ws.on('error', () => sockets.delete(ws))
  })
})

server.listen(config.port ?? 0, '127.0.0.1', () => {
  const port = server.address().port
  base = config.tls ? `https://localhost:${port}` : `http://127.0.0.1:${port}`
  const out = { port, repos: [...repos.values()].map((r) => ({ did: r.did, multikey: r.kp.did().slice('did:key:'.length) })) }
  process.stdout.write(JSON.stringify(out) + '\n')
})
