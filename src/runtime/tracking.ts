import type { JsonObject } from "../core/model.js";
import type { StoredDelivery } from "../store/types.js";
import type { CallbackSigner } from "./callback-signer.js";

const LINK = /href="(https?:\/\/[^"]+)"/gi;

/**
 * Email html with open and click tracking: links go through `/v1/t/c/{token}?u=...` and a 1×1
 * pixel at `/v1/t/o/{token}` reports opens. Tokens are signed, so engagement cannot be forged.
 * Other channels and text-only emails are returned unchanged.
 */
export function addTracking(delivery: StoredDelivery, signer: CallbackSigner, publicUrl: string): JsonObject {
  const html = delivery.payload.html;
  if (delivery.channel !== "email" || typeof html !== "string" || html === "") return delivery.payload;
  const token = signer.trackingToken(delivery.project, delivery.idempotencyKey);
  const linked = html.replace(LINK, (_match, url: string) => {
    const target = url.replaceAll("&amp;", "&");
    return `href="${publicUrl}/v1/t/c/${token}?u=${encodeURIComponent(target)}"`;
  });
  const pixel = `<img src="${publicUrl}/v1/t/o/${token}.gif" width="1" height="1" alt="" style="display:none">`;
  const tracked = linked.includes("</body>") ? linked.replace("</body>", `${pixel}</body>`) : linked + pixel;
  return { ...delivery.payload, html: tracked };
}
