// The L1 client's cancellation: a caller that gives up is released at once, though viem's request (in a shared
// JSON-RPC batch) cannot be cancelled and runs out on its own timeout.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { ChainClient } from "../../../../src/executor/chain/chain-client.ts";
import { coreContractsFor } from "../../../../src/executor/chain/contract-addresses.ts";

test("a read whose signal aborts rejects with the signal's reason, not the RPC's timeout", async (t) => {
  // An RPC that takes the request and never answers.
  const held: { end(): void }[] = [];
  const rpc = createServer((_request, response) => void held.push(response));
  await new Promise<void>((resolve) => rpc.listen(0, "127.0.0.1", resolve));
  t.after(() => {
    for (const response of held) response.end();
    rpc.closeAllConnections();
    rpc.close();
  });
  const client = new ChainClient({
    rpcUrl: `http://127.0.0.1:${(rpc.address() as AddressInfo).port}`,
    chainId: 31337,
    contracts: coreContractsFor(31337),
    timeoutMs: 60_000,
  });
  const caller = new AbortController();
  const reason = new Error("the task's deadline passed");
  const reading = client.checkChain(caller.signal);
  setTimeout(() => caller.abort(reason), 50);
  await assert.rejects(reading, (error) => error === reason);
  assert.equal(client.lastError, "not contacted yet", "a caller giving up says nothing of the RPC");
});
