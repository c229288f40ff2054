import { connect, type LookupFunction } from "node:net";
import type { SMTPPoolOptions } from "nodemailer";

/** nodemailer's hook for opening a pooled connection's socket itself. */
export type SmtpGetSocket = NonNullable<SMTPPoolOptions["getSocket"]>;

/**
 * A nodemailer `getSocket` that opens every pooled connection with `lookup` (guardedLookup).
 * nodemailer would otherwise resolve the host again after the URL guard checked it, and a DNS
 * answer that changed in between (rebinding) would reach a private address; here the address
 * the socket connects to is the one `lookup` checked. nodemailer still knows the server by its
 * name, so SNI and the certificate check (implicit TLS or STARTTLS) use the name. A literal IP
 * host is not resolved at all; the guard has judged it before the send.
 */
export function pinnedSmtpSocket(
  host: string,
  port: number,
  lookup: LookupFunction,
  timeoutMs: number,
): SmtpGetSocket {
  return (_options, callback) => {
    const socket = connect({ host, port, lookup, timeout: timeoutMs });
    const settle = (error: Error | undefined) => {
      socket.off("connect", onConnect).off("error", onError).off("timeout", onTimeout);
      socket.setTimeout(0);
      if (error === undefined) {
        callback(null, { connection: socket });
        return;
      }
      socket.destroy();
      callback(error);
    };
    const onConnect = () => settle(undefined);
    const onError = (error: Error) => settle(error);
    const onTimeout = () =>
      settle(
        Object.assign(new Error(`connecting to ${host}:${port} took over ${timeoutMs} ms`), {
          code: "ETIMEDOUT",
        }),
      );
    socket.once("connect", onConnect).once("error", onError).once("timeout", onTimeout);
  };
}
