// Pods reach the apiserver as in any cluster, through the `kubernetes` Service (198.19.0.1:443). The apiserver
// listens on loopback only, which a Pod cannot reach, and advertises the node's bridge address; this relay, run
// by the node while the bridge exists, listens there on the apiserver's port and passes each connection to
// loopback. TLS stays end to end (the apiserver's certificate names 198.19.0.1).
// Usage: node apiserver-relay.ts <listen address> <port>
import { connect, createServer } from "node:net";

const [address, port] = process.argv.slice(2);
if (!address || !port) {
  process.stderr.write("usage: apiserver-relay.ts <listen address> <port>\n");
  process.exit(2);
}
createServer((client) => {
  const upstream = connect(Number(port), "127.0.0.1");
  client.pipe(upstream).pipe(client);
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on("error", close).on("close", close);
  upstream.on("error", close).on("close", close);
}).listen(Number(port), address);
