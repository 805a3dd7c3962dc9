// An HTTP proxy for tests, in front of an inference server (the loopback server): it counts the
// POSTs it receives (the batches a client starts) with the prompts each carries, and can hold the
// server's answers back until told to let them go, so that a test can stop a client while some
// of its batches are in flight and see, on the server's side, whether it starts another.

import http from "node:http";
import type { AddressInfo } from "node:net";

export interface ProxiedPost {
  /** Prompts in the body (`prompt` of /v1/completions, `input_ids` of /generate). */
  prompts: number;
  /** Whether the server's answer has been sent whole to the client. */
  answered: boolean;
}

export class HoldingProxy {
  /** Every POST received, in order of arrival. */
  readonly posts: ProxiedPost[] = [];
  private readonly held: (() => void)[] = [];
  private onHeld: (() => void) | undefined;
  private server!: http.Server;
  url = "";

  /** `passFirst`: how many POSTs are answered at once; the answers to the later ones are held until `release()`. */
  private constructor(
    private readonly upstream: string,
    private passFirst: number,
  ) {}

  static async start(upstream: string, passFirst = Infinity): Promise<HoldingProxy> {
    const proxy = new HoldingProxy(upstream.replace(/\/v1\/?$/, ""), passFirst);
    await proxy.listen();
    return proxy;
  }

  /** Prompts whose answers went out whole. */
  get answeredPrompts(): number {
    return this.posts.reduce((a, p) => a + (p.answered ? p.prompts : 0), 0);
  }

  /** Prompts of the POSTs whose answers are held now. */
  get heldPrompts(): number {
    return this.posts.reduce((a, p, n) => a + (n >= this.passFirst && !p.answered ? p.prompts : 0), 0);
  }

  /** Resolves once an answer is being held. */
  firstHeld(): Promise<void> {
    if (this.held.length > 0) return Promise.resolve();
    return new Promise((resolve) => (this.onHeld = resolve));
  }

  /** Sends the held answers and holds no more. */
  release(): void {
    this.passFirst = Infinity;
    for (const send of this.held.splice(0)) send();
  }

  private listen(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => void this.forward(req, res, Buffer.concat(chunks)).catch(() => res.destroy()));
    });
    return new Promise((resolve) =>
      this.server.listen(0, "127.0.0.1", () => {
        this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
        resolve();
      }),
    );
  }

  private async forward(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): Promise<void> {
    let post: ProxiedPost | undefined;
    let number = -1;
    if (req.method === "POST") {
      const parsed = JSON.parse(body.toString("utf8")) as { prompt?: unknown; input_ids?: unknown };
      const prompts = parsed.prompt ?? parsed.input_ids;
      post = { prompts: Array.isArray(prompts) && Array.isArray(prompts[0]) ? prompts.length : 1, answered: false };
      number = this.posts.push(post) - 1;
    }
    const headers: Record<string, string> = {};
    for (const name of ["content-type", "authorization", "accept"]) if (typeof req.headers[name] === "string") headers[name] = req.headers[name];
    const answer = await fetch(`${this.upstream}${req.url ?? ""}`, { method: req.method ?? "GET", headers, ...(req.method === "POST" ? { body: body.toString("utf8") } : {}) });
    const text = await answer.text();
    const send = (): void => {
      if (res.destroyed) return;
      res.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "application/json" });
      res.end(text, () => {
        if (post) post.answered = true;
      });
    };
    if (post === undefined || number < this.passFirst) return send();
    this.held.push(send);
    this.onHeld?.();
    this.onHeld = undefined;
  }

  async close(): Promise<void> {
    this.release();
    const closed = new Promise((resolve) => this.server.close(resolve));
    this.server.closeAllConnections();
    await closed;
  }
}
