import { z } from "zod";
import { CHANNELS, type Channel, type TemplateDefinition } from "./model.js";
import { exactlyOne, IdSchema, JsonObjectSchema, oneOfRequired, WHEN_OBJECT } from "./schema-common.js";

/**
 * Message content per channel. Every string in content is a Liquid template; these schemas only
 * check the shape, template.ts checks the Liquid.
 */

const liquid = (description: string) => z.string().min(1).meta({ description });

export const PushContentSchema = z
  .strictObject({
    title: liquid("Notification title"),
    body: liquid("Notification text"),
    data: JsonObjectSchema.optional().meta({
      description: "Custom key-values delivered with the notification",
    }),
    imageUrl: liquid("Image shown in the notification").optional(),
    url: liquid("Opened when the notification is tapped").optional(),
  })
  .meta({ id: "PushContent" });

export const EmailContentSchema = z
  .strictObject({
    subject: liquid("Subject line"),
    html: liquid("HTML body").optional(),
    text: liquid("Plain-text body").optional(),
    from: liquid("Sender, e.g. Shop <hello@shop.example>; defaults to the provider's").optional(),
    replyTo: liquid("Reply-To address").optional(),
  })
  .superRefine((content, ctx) => {
    if (content.html === undefined && content.text === undefined) {
      ctx.addIssue({ code: "custom", message: "an email needs html or text (or both)", path: [] });
    }
  }, WHEN_OBJECT)
  .meta({ id: "EmailContent", anyOf: [{ required: ["html"] }, { required: ["text"] }] });

export const SmsContentSchema = z.strictObject({ text: liquid("Message text") }).meta({ id: "SmsContent" });

const WHATSAPP_KINDS = ["template", "text"] as const;

export const WhatsappContentSchema = z
  .strictObject({
    template: liquid(
      "The approved template's id at the provider (Twilio: its Content SID, HX...)",
    ).optional(),
    variables: z
      .union([z.record(z.string(), z.string()), z.array(z.string())], {
        error: "variables is an object of strings (named parameters) or an array of strings (positional)",
      })
      .optional()
      .meta({ description: "Template parameters: named (object) or positional (array)" }),
    text: liquid("Free-form text (only inside the 24-hour customer service window)").optional(),
  })
  .superRefine(exactlyOne("whatsapp content", WHATSAPP_KINDS, { variables: ["template"] }), WHEN_OBJECT)
  .meta({ id: "WhatsappContent", ...oneOfRequired(WHATSAPP_KINDS) });

export const SlackContentSchema = z
  .strictObject({
    text: liquid("Message text (also the notification fallback when blocks are given)"),
    blocks: z.array(JsonObjectSchema).optional().meta({ description: "Block Kit blocks" }),
  })
  .meta({ id: "SlackContent" });

export const WebhookContentSchema = JsonObjectSchema.meta({
  id: "WebhookContent",
  description: "Any JSON object: the request body; every string in it is a Liquid template",
});

/** The content schema of each channel. */
export const CONTENT_SCHEMAS = {
  push: PushContentSchema,
  email: EmailContentSchema,
  sms: SmsContentSchema,
  whatsapp: WhatsappContentSchema,
  slack: SlackContentSchema,
  webhook: WebhookContentSchema,
} as const satisfies { readonly [C in Channel]: z.ZodType };

const channelError = { error: `channel is one of ${CHANNELS.join(", ")}` };

function templateFor<C extends Channel>(channel: C) {
  return z.strictObject({
    id: IdSchema,
    name: z.string().optional(),
    channel: z.literal(channel),
    content: CONTENT_SCHEMAS[channel],
  });
}

export const TemplateSchema = z
  .discriminatedUnion(
    "channel",
    [
      templateFor("push"),
      templateFor("email"),
      templateFor("sms"),
      templateFor("whatsapp"),
      templateFor("slack"),
      templateFor("webhook"),
    ],
    channelError,
  )
  .meta({
    id: "Template",
    description: "A reusable message: a channel and its content, every string a Liquid template",
  }) as unknown as z.ZodType<TemplateDefinition>;

/** A `send` action: a channel with exactly one of a template id or inline content for that channel. */
function sendFor<C extends Channel>(channel: C) {
  return z.strictObject({
    channel: z.literal(channel),
    template: IdSchema.optional().meta({ description: "A saved template of the same channel" }),
    content: CONTENT_SCHEMAS[channel].optional(),
    provider: z
      .string()
      .min(1)
      .optional()
      .meta({ description: "A configured provider; default the channel's" }),
  });
}

export const SendSchema = z
  .discriminatedUnion(
    "channel",
    [
      sendFor("push"),
      sendFor("email"),
      sendFor("sms"),
      sendFor("whatsapp"),
      sendFor("slack"),
      sendFor("webhook"),
    ],
    channelError,
  )
  .superRefine(exactlyOne("a send", ["template", "content"]), WHEN_OBJECT)
  .meta({ description: "Send a message on a channel: a template id or inline content" });
