import { lookup as dnsLookup } from "node:dns/promises";
import type { LookupFunction } from "node:net";
import { Agent, type Dispatcher } from "undici";
import { UrlRefusedError } from "./errors.js";
import { type LookupAddresses, privateAddressReason } from "./url-guard.js";

/**
 * A connection pool whose connections are checked when they are opened. The URL guard resolves
 * a hostname before the call, but the pool resolves it again to connect: a DNS answer that
 * changes in between (rebinding) would reach a private address. Here the resolution the socket
 * connects with is the one checked, so every connection goes to an address the guard allows.
 * Literal IP hosts are not resolved at all; the guard has judged them already.
 */

const defaultLookup: LookupAddresses = (hostname) => dnsLookup(hostname, { all: true });

/**
 * The `lookup` of net.connect, refusing (with UrlRefusedError) a name any of whose addresses is
 * loopback, private, link-local or otherwise not public.
 */
export function guardedLookup(resolve: LookupAddresses = defaultLookup): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (resolved) => {
        for (const { address } of resolved) {
          const why = privateAddressReason(address);
          if (why !== undefined) {
            const reason = `${hostname} resolves to ${address} when connecting, ${why}`;
            callback(new UrlRefusedError(hostname, reason), "", 0);
            return;
          }
        }
        const wanted = options.family === 4 || options.family === 6 ? options.family : undefined;
        const addresses = resolved.filter((a) => wanted === undefined || a.family === wanted);
        const first = addresses[0];
        if (!first) {
          const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
          callback(error, "", 0);
        } else if (options.all) {
          (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(
            null,
            addresses,
          );
        } else {
          callback(null, first.address, first.family);
        }
      },
      (error: NodeJS.ErrnoException) => callback(error, "", 0),
    );
  };
}

let pinned: Dispatcher | undefined;
let open: Dispatcher | undefined;

/**
 * The pool provider calls go through. Without a custom resolver all providers share one pool
 * (one per process), whose connections pass `guardedLookup` unless private targets are allowed
 * (then nothing needs checking); a resolver (tests) gets a pool of its own.
 */
export function providerAgent(allowPrivateUrls: boolean, resolve?: LookupAddresses): Dispatcher {
  if (allowPrivateUrls) {
    open ??= new Agent();
    return open;
  }
  if (resolve !== undefined) return new Agent({ connect: { lookup: guardedLookup(resolve) } });
  pinned ??= new Agent({ connect: { lookup: guardedLookup() } });
  return pinned;
}
