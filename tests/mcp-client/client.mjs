// Drives an MCP server with the official MCP TypeScript SDK, for the gateway's end-to-end tests: `infraguard mcp` over
// stdio (the SDK starts it), or `infraguard serve`'s /mcp over Streamable HTTP.
// Usage: node client.mjs SPEC_JSON
//   SPEC = { command, args, env } (stdio) or { url, headers } (Streamable HTTP),
//          calls: [{ name, arguments, meta?, cancelOnProgress? }], listChangedFile?
// stdout: one JSON line per step: {"tools":[{name, inputSchema}]}, then per call {"call":NAME,"result":{…}} or
//         {"call":NAME,"error":MESSAGE}; with listChangedFile, after the calls: the client creates that file (the
//         upstream then adds a tool) and prints {"listChanged":[names]} once the server says its tools changed.
// stderr: "progress[I]: MESSAGE" for every progress notification of call I (the test reads the request id from it),
//         and, over stdio, the gateway's own stderr.
import { writeFileSync } from "node:fs";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";

const spec = JSON.parse(process.argv[2]);
// Over HTTP a notification that answers no request travels on the session's GET stream, which the SDK opens without
// waiting after initialisation: know when the server has answered it, so the tool-list change is not announced to a
// session whose stream is not open yet (the notification would have nowhere to go).
let streamOpened;
const streamOpen = new Promise((resolve) => (streamOpened = resolve));
const watchingFetch = async (url, init) => {
  const response = await fetch(url, init);
  if ((init?.method ?? "GET") === "GET" && response.ok) {
    streamOpened();
  }
  return response;
};
const transport = spec.url
  ? new StreamableHTTPClientTransport(new URL(spec.url), { requestInit: { headers: spec.headers ?? {} }, fetch: watchingFetch })
  : new StdioClientTransport({ command: spec.command, args: spec.args, env: spec.env, stderr: "inherit" });
const client = new Client({ name: "infraguard-e2e", version: "1.0.0" });
let toolsChanged;
const changed = new Promise((resolve) => (toolsChanged = resolve));
client.setNotificationHandler(ToolListChangedNotificationSchema, () => toolsChanged());
await client.connect(transport);

const listed = await client.listTools();
console.log(JSON.stringify({ tools: listed.tools.map((t) => ({ name: t.name, inputSchema: t.inputSchema })) }));

for (const [index, call] of (spec.calls ?? []).entries()) {
  const abort = new AbortController();
  try {
    const result = await client.callTool({ name: call.name, arguments: call.arguments, ...(call.meta ? { _meta: call.meta } : {}) }, undefined, {
      timeout: 300_000,
      resetTimeoutOnProgress: true,
      signal: abort.signal,
      onprogress: (p) => {
        console.error(`progress[${index}]: ${p.message ?? p.progress}`);
        if (call.cancelOnProgress) {
          abort.abort("the agent gave up waiting");
        }
      },
    });
    console.log(JSON.stringify({ call: call.name, result }));
  } catch (e) {
    console.log(JSON.stringify({ call: call.name, error: String(e?.message ?? e) }));
  }
}

if (spec.listChangedFile) {
  if (spec.url) {
    await streamOpen;
  }
  writeFileSync(spec.listChangedFile, "add vacuum");
  await changed;
  const relisted = await client.listTools();
  console.log(JSON.stringify({ listChanged: relisted.tools.map((t) => t.name) }));
}

// Give a cancellation notification time to leave before the transport closes.
await new Promise((resolve) => setTimeout(resolve, 200));
await client.close();
