// Drives `infraguard mcp` over stdio with the official MCP TypeScript SDK, for the gateway's end-to-end tests.
// Usage: node client.mjs SPEC_JSON
//   SPEC = { command, args, env, calls: [{ name, arguments }] }
// stdout: one JSON line per step: {"tools":[{name, inputSchema}]}, then per call {"call":NAME,"result":{…}} or
//         {"call":NAME,"error":MESSAGE}
// stderr: "progress: MESSAGE" for every progress notification (the test reads the request id from it), and the
//         gateway's own stderr.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const spec = JSON.parse(process.argv[2]);
const transport = new StdioClientTransport({ command: spec.command, args: spec.args, env: spec.env, stderr: "inherit" });
const client = new Client({ name: "infraguard-e2e", version: "1.0.0" });
await client.connect(transport);

const listed = await client.listTools();
console.log(JSON.stringify({ tools: listed.tools.map((t) => ({ name: t.name, inputSchema: t.inputSchema })) }));

for (const call of spec.calls ?? []) {
  try {
    const result = await client.callTool({ name: call.name, arguments: call.arguments }, undefined, {
      timeout: 300_000,
      resetTimeoutOnProgress: true,
      onprogress: (p) => {
        console.error(`progress: ${p.message ?? p.progress}`);
      },
    });
    console.log(JSON.stringify({ call: call.name, result }));
  } catch (e) {
    console.log(JSON.stringify({ call: call.name, error: String(e?.message ?? e) }));
  }
}

await client.close();
