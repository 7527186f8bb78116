/**
 * Headless Chromium driven through the DevTools protocol over its WebSocket (no driver package): launch with
 * `--remote-debugging-port=0`, open a page target, evaluate expressions, collect console errors and uncaught
 * exceptions of the page and of its workers, and let downloads land in a folder.
 *
 * @module
 */

/** The Chromium binary the tests use (CI installs Debian's `chromium` in `.ci/run`). */
export const CHROMIUM = "/usr/bin/chromium";

/** Whether {@link CHROMIUM} exists; prints why a test skips when it does not. */
export function haveChromium(what: string): boolean {
  try {
    Deno.statSync(CHROMIUM);
    return true;
  } catch {
    console.log(`SKIP ${what}: ${CHROMIUM} is absent (apt-get install -y chromium)`);
    return false;
  }
}

type Message = {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  sessionId?: string;
  result?: unknown;
  error?: { message: string };
};

/** A running headless Chromium with one page. */
export class Browser {
  /** Console errors, uncaught exceptions and error log entries, of the page and its workers, in order. */
  readonly errors: string[] = [];
  /** Every console line (type and text), for diagnostics. */
  readonly console: string[] = [];
  /** Folder downloads go to. */
  readonly downloads: string;
  #process: Deno.ChildProcess;
  #ws: WebSocket;
  #profile: string;
  #next = 1;
  #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; method: string }>();
  #names = new Map<string, string>();
  #done = new Set<string>();
  #page = "";
  /** Slowest answer to a `Runtime.evaluate` so far, in ms (how long the page's main thread was busy, at most). */
  slowestEvaluateMs = 0;

  private constructor(process: Deno.ChildProcess, ws: WebSocket, profile: string, downloads: string) {
    this.#process = process;
    this.#ws = ws;
    this.#profile = profile;
    this.downloads = downloads;
    ws.onmessage = (e) => this.#receive(JSON.parse(e.data as string) as Message);
  }

  /** Launch Chromium (headless, off the network; WebGPU enabled unless `webgpu: false`) and open an empty page. */
  static async launch(options: { webgpu?: boolean } = {}): Promise<Browser> {
    const profile = await Deno.makeTempDir({ prefix: "mlm-web-chromium-" });
    const downloads = `${profile}/downloads`;
    await Deno.mkdir(downloads);
    const process = new Deno.Command(CHROMIUM, {
      args: [
        "--headless",
        "--no-sandbox",
        ...(options.webgpu === false ? [] : ["--enable-unsafe-webgpu"]),
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--remote-debugging-port=0",
        `--user-data-dir=${profile}`,
        "about:blank",
      ],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const url = await devtoolsUrl(process.stderr);
    const ws = new WebSocket(url);
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = () => reject(new Error(`cannot connect to Chromium's DevTools at ${url}`));
    });
    const browser = new Browser(process, ws, profile, downloads);
    await browser.send("Browser.setDownloadBehavior", {
      behavior: "allow",
      downloadPath: downloads,
      eventsEnabled: true,
    });
    const { targetInfos } = await browser.send("Target.getTargets") as {
      targetInfos: { targetId: string; type: string }[];
    };
    const target = targetInfos.find((t) => t.type === "page");
    if (!target) throw new Error("Chromium opened no page target");
    const { sessionId } = await browser.send("Target.attachToTarget", { targetId: target.targetId, flatten: true }) as {
      sessionId: string;
    };
    browser.#page = sessionId;
    await browser.#watch(sessionId);
    return browser;
  }

  async #watch(sessionId: string): Promise<void> {
    await this.send("Runtime.enable", {}, sessionId);
    await this.send("Log.enable", {}, sessionId).catch(() => {}); // workers have no Log domain
    await this.send(
      "Target.setAutoAttach",
      { autoAttach: true, waitForDebuggerOnStart: false, flatten: true },
      sessionId,
    );
  }

  #receive(m: Message): void {
    if (m.id !== undefined) {
      const p = this.#pending.get(m.id);
      this.#pending.delete(m.id);
      if (m.error) p?.reject(new Error(`${p.method}: ${m.error.message}`));
      else p?.resolve(m.result);
      return;
    }
    const params = m.params ?? {};
    if (m.method === "Runtime.consoleAPICalled") {
      const args = (params.args as { value?: unknown; description?: string }[]).map((a) => a.value ?? a.description);
      const line = `${params.type}: ${args.join(" ")}`;
      this.console.push(line);
      if (params.type === "error" || params.type === "assert") this.errors.push(line);
    } else if (m.method === "Runtime.exceptionThrown") {
      const d = params.exceptionDetails as { text: string; exception?: { description?: string } };
      this.errors.push(`uncaught: ${d.exception?.description ?? d.text}`);
    } else if (m.method === "Log.entryAdded") {
      const entry = params.entry as { level: string; text: string; url?: string };
      this.console.push(`log ${entry.level}: ${entry.text}`);
      if (entry.level === "error") this.errors.push(`log: ${entry.text}${entry.url ? ` (${entry.url})` : ""}`);
    } else if (m.method === "Target.attachedToTarget") {
      const sessionId = params.sessionId as string;
      this.#watch(sessionId).catch(() => {});
      this.send("Runtime.runIfWaitingForDebugger", {}, sessionId).catch(() => {});
    } else if (m.method === "Browser.downloadWillBegin") {
      this.#names.set(params.guid as string, params.suggestedFilename as string);
    } else if (m.method === "Browser.downloadProgress" && params.state === "completed") {
      this.#done.add(this.#names.get(params.guid as string) ?? "");
    }
  }

  /** Send a DevTools command (to the page's session unless `sessionId` says otherwise; `""`: the browser). */
  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<unknown> {
    const id = this.#next++;
    const message: Message = { id, method, params };
    if (sessionId) message.sessionId = sessionId;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, method });
      this.#ws.send(JSON.stringify(message));
    });
  }

  /** Load `url` in the page. */
  async goto(url: string): Promise<void> {
    await this.send("Page.enable", {}, this.#page);
    await this.send("Page.navigate", { url }, this.#page);
  }

  /** Choose `paths` in the page's file input matching `selector`, as a user picking files does. */
  async setInputFiles(selector: string, paths: string[]): Promise<void> {
    const { root } = await this.send("DOM.getDocument", {}, this.#page) as { root: { nodeId: number } };
    const { nodeId } = await this.send("DOM.querySelector", { nodeId: root.nodeId, selector }, this.#page) as {
      nodeId: number;
    };
    if (!nodeId) throw new Error(`no element ${selector} in the page`);
    await this.send("DOM.setFileInputFiles", { files: paths, nodeId }, this.#page);
  }

  /** Evaluate `expression` in the page (awaiting a promise) and return its JSON value. */
  async evaluate<T>(expression: string): Promise<T> {
    const t0 = performance.now();
    const r = await this.send(
      "Runtime.evaluate",
      { expression, awaitPromise: true, returnByValue: true },
      this.#page,
    ) as {
      result: { value?: T };
      exceptionDetails?: { text: string; exception?: { description?: string } };
    };
    this.slowestEvaluateMs = Math.max(this.slowestEvaluateMs, performance.now() - t0);
    if (r.exceptionDetails) {
      throw new Error(`in the page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    }
    return r.result.value as T;
  }

  /** Poll `expression` every 250 ms until it is truthy; fail after `timeoutMs` naming `what`. */
  async waitFor<T>(expression: string, timeoutMs: number, what: string): Promise<T> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      const v = await this.evaluate<T>(expression).catch(() => undefined);
      if (v) return v;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}; console:\n${this.console.join("\n")}`);
  }

  /** Wait until `name` has been downloaded completely; returns its bytes. */
  async downloaded(name: string, timeoutMs = 30_000): Promise<Uint8Array> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (this.#done.has(name)) return await Deno.readFile(`${this.downloads}/${name}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no download ${name} in ${this.downloads} after ${timeoutMs / 1000} s`);
  }

  /** Close Chromium and remove its profile. */
  async close(): Promise<void> {
    await this.send("Browser.close").catch(() => {});
    this.#ws.close();
    const status = await Promise.race([
      this.#process.status,
      new Promise<undefined>((r) => setTimeout(() => r(undefined), 5000)),
    ]);
    if (!status) this.#process.kill("SIGKILL");
    await this.#process.status;
    await this.#process.stderr.cancel().catch(() => {});
    await Deno.remove(this.#profile, { recursive: true }).catch(() => {});
  }
}

/** Read Chromium's stderr until it prints its DevTools WebSocket URL (then keep draining it). */
async function devtoolsUrl(stderr: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stderr.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const timeout = setTimeout(() => reader.cancel(), 30_000);
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`Chromium exited or timed out before printing its DevTools URL:\n${text}`);
      text += decoder.decode(value, { stream: true });
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(text);
      if (m) {
        (async () => {
          while (!(await reader.read()).done) { /* drain */ }
        })().catch(() => {});
        return m[1];
      }
    }
  } finally {
    clearTimeout(timeout);
  }
}
