// The remote backend's HTTP client against node:http servers on loopback: which replica a call
// goes to (two distinct servers), which answers are sent again and which are final, and that an
// error of the program or an unknown host is not retried. Expected counts are worked out by hand
// from the client's documented rules (least busy replica, ties round-robin from the first).
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { HttpClient, HttpFailure, HttpRefusal } from "../src/backend/remote/http.js";

interface Loopback {
  url: string;
  hits: string[];
  close: () => Promise<void>;
}

/** A server whose answer to each request `answer` decides (it may hold it until a promise settles). */
async function serve(answer: (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void | Promise<void>): Promise<Loopback> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    req.resume();
    void answer(req, res, hits.length);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    hits,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

const ok = (res: http.ServerResponse, body: unknown) => void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));

test("a call goes to the least busy replica: with replica A holding one call, the next two go to B", async () => {
  // Call 1: both idle, the tie goes to the first in round-robin order (A); A holds it.
  // Call 2: A has 1 in flight, B 0: B (round-robin would also say B here).
  // Call 3: the round-robin turn is A's again, but A still has 1 in flight and B 0: B.
  // So A gets 1 call and B 2 while A holds; picking the busiest would send 2 and 3 to A, plain
  // round-robin would send 3 to A.
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const a = await serve(async (_req, res) => {
    await held;
    ok(res, { from: "A" });
  });
  const b = await serve((_req, res) => ok(res, { from: "B" }));
  const client = new HttpClient({ baseUrls: [a.url, b.url], timeoutMs: 5000, backoffMs: 1 });
  try {
    const first = client.call("api", "/x", { n: 1 });
    // Wait until A has it (so that its in-flight count is 1 when the next calls are picked).
    while (a.hits.length === 0) await new Promise((r) => setTimeout(r, 2));
    assert.deepEqual(await client.call("api", "/x", { n: 2 }), { from: "B" });
    assert.deepEqual(await client.call("api", "/x", { n: 3 }), { from: "B" });
    assert.deepEqual([a.hits.length, b.hits.length], [1, 2]);
    release();
    assert.deepEqual(await first, { from: "A" });
  } finally {
    release();
    await Promise.all([a.close(), b.close()]);
  }
});

test("408, 429 and 5xx are sent again; other 4xx are final after one attempt", async () => {
  // Each server answers its first request with the status and the second with 200.
  const retried = [408, 429, 500, 502, 503, 504];
  const final = [400, 401, 403, 404, 405, 409, 413, 422];
  for (const status of [...retried, ...final]) {
    const server = await serve((_req, res, n) => (n === 1 ? void res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: `injected ${status}` } })) : ok(res, { ok: true })));
    const client = new HttpClient({ baseUrls: [server.url], timeoutMs: 5000, backoffMs: 1, attempts: 3 });
    try {
      if (retried.includes(status)) {
        assert.deepEqual(await client.call("api", "/x", {}), { ok: true }, `HTTP ${status}`);
        assert.equal(server.hits.length, 2, `HTTP ${status} is sent again once`);
        assert.equal(client.retriesMade, 1, `HTTP ${status}`);
      } else {
        await assert.rejects(client.call("api", "/x", {}), (e: unknown) => e instanceof HttpRefusal && e.status === status && e.detail === `injected ${status}`, `HTTP ${status}`);
        assert.equal(server.hits.length, 1, `HTTP ${status} is not sent again`);
      }
    } finally {
      await server.close();
    }
  }
});

test("every attempt failing: the failure names the URL and the last status", async () => {
  const server = await serve((_req, res) => void res.writeHead(503).end("busy"));
  const client = new HttpClient({ baseUrls: [server.url], timeoutMs: 5000, backoffMs: 1, attempts: 3 });
  try {
    await assert.rejects(client.call("api", "/x", {}), (e: unknown) => e instanceof HttpFailure && e.url === `${server.url}/x` && e.last.status === 503 && e.last.detail === "busy" && /failed 3 times/.test(e.message));
    assert.equal(server.hits.length, 3);
  } finally {
    await server.close();
  }
});

test("an error of the program is thrown at once, never retried: a body that cannot be serialised, a header fetch refuses", async () => {
  const server = await serve((_req, res) => ok(res, {}));
  const client = new HttpClient({ baseUrls: [server.url], timeoutMs: 5000, backoffMs: 1, attempts: 4 });
  // A key with a line break: fetch's header check throws a TypeError (no network error code).
  const badKey = new HttpClient({ baseUrls: [server.url], apiKey: "sk-1\nsk-2", timeoutMs: 5000, backoffMs: 1, attempts: 4 });
  try {
    await assert.rejects(client.call("api", "/x", { n: 1n }), (e: unknown) => e instanceof TypeError && /BigInt/.test(e.message));
    assert.equal(client.attemptsMade, 0);
    assert.equal(client.retriesMade, 0);
    await assert.rejects(badKey.call("api", "/x", {}), (e: unknown) => e instanceof TypeError && /header/i.test(e.message));
    assert.equal(badKey.attemptsMade, 1);
    assert.equal(badKey.retriesMade, 0);
    assert.equal(server.hits.length, 0);
  } finally {
    await server.close();
  }
});

test("a host name that does not resolve is not retried; a refused connection is", async (t) => {
  // RFC 6761: names under .invalid never resolve.
  const dns = new HttpClient({ baseUrls: ["http://nonexistent.invalid/v1"], timeoutMs: 5000, backoffMs: 1, attempts: 4 });
  const error = await dns.call("api", "/models").then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(error instanceof HttpFailure, String(error));
  if (error.last.code === "EAI_AGAIN") return t.skip("this machine has no DNS resolver (EAI_AGAIN)");
  assert.equal(error.last.code, "ENOTFOUND");
  assert.equal(error.url, "http://nonexistent.invalid/v1/models");
  assert.equal(dns.attemptsMade, 1);
  // A port nothing listens on: ECONNREFUSED, sent again until the attempts run out.
  const gone = await serve(() => undefined);
  const url = gone.url;
  await gone.close();
  const refused = new HttpClient({ baseUrls: [url], timeoutMs: 5000, backoffMs: 1, attempts: 3 });
  await assert.rejects(refused.call("api", "/x"), (e: unknown) => e instanceof HttpFailure && e.last.code === "ECONNREFUSED");
  assert.equal(refused.attemptsMade, 3);
});
