import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { JourneyDefinition, SegmentDefinition, TemplateDefinition } from "../core/model.js";
import type { JournalLine } from "../core/state.js";
import { catalogOf, DAY, HOUR, MINUTE, UserDriver } from "../core/testing/harness.js";
import { explainJournal } from "./journal-story.js";

const examples = join(import.meta.dirname, "..", "..", "examples");
const read = <T>(path: string): T => JSON.parse(readFileSync(path, "utf8")) as T;
const folder = <T>(name: string): T[] =>
  readdirSync(join(examples, name))
    .filter((file) => file.endsWith(".json"))
    .map((file) => read<T>(join(examples, name, file)));

const journeys = ["abandoned-cart", "club-welcome", "win-back", "onboarding-drip"].map((id) =>
  read<JourneyDefinition>(join(examples, `${id}.json`)),
);
const catalog = catalogOf(journeys, {
  templates: folder<TemplateDefinition>("templates"),
  segments: folder<SegmentDefinition>("segments"),
});
const definitions = new Map(journeys.map((journey) => [journey.id, journey]));

/** The story the way support reads it: with the definitions and the user's instances. */
function story(user: UserDriver, timezone?: string): string {
  return explainJournal(user.journal, {
    definitions,
    instances: user.instances,
    ...(timezone ? { timezone } : {}),
  });
}

function paragraphs(text: string): string[] {
  return text.split("\n").slice(1);
}

/** The issue's own example: a shopper who got the push but had unsubscribed from email. */
function unsubscribedShopper(): UserDriver {
  const user = new UserDriver(catalog, "ada", Date.UTC(2026, 0, 5, 10, 2));
  user.identify({
    channels: { push: { address: "device" }, email: { address: "ada@example.com", subscribed: false } },
  });
  user.event("cart_updated", { cartId: "c1", total: 80 });
  user.advanceBy(30 * MINUTE);
  user.now += 1000;
  user.engage("delivered");
  user.now -= 1000;
  user.advanceBy(3 * HOUR);
  return user;
}

describe("explain: the journal of the example journeys as a story", () => {
  it("abandoned-cart: push delivered, not opened, email skipped because unsubscribed", () => {
    assert.equal(
      story(unsubscribedShopper()),
      [
        "Journal of ada (times in UTC):",
        "[2026-01-05] entered abandoned-cart (cartId c1) at 10:02 on cart_updated (total 80 > 50); waited 30m; " +
          "push sent 10:32 (delivered 10:32:01); no open in 2h; email skipped at 12:32: unsubscribed from email; " +
          "finished at 12:32.",
      ].join("\n"),
    );
  });

  it("abandoned-cart: the push waits for the end of quiet hours, the next day, and is opened", () => {
    const user = new UserDriver(catalog, "bob", Date.UTC(2026, 0, 5, 20, 40));
    user.identify({ channels: { push: { address: "device" } } });
    user.event("cart_updated", { cartId: "c9", total: 120 });
    user.advanceBy(12 * HOUR);
    user.engage("opened");
    assert.deepEqual(paragraphs(story(user)), [
      "[2026-01-05] entered abandoned-cart (cartId c9) at 20:40 on cart_updated (total 120 > 50); waited 30m; " +
        "held for quiet hours until 2026-01-06 08:00; quiet hours ended 08:00; push sent 08:00 (opened 08:40); " +
        "opened → done; finished at 08:40.",
    ]);
  });

  it("abandoned-cart: buying the cart converts and ends the journey", () => {
    const user = new UserDriver(catalog, "cy", Date.UTC(2026, 0, 5, 10, 0));
    user.identify({ channels: { push: { address: "device" } } });
    user.event("cart_updated", { cartId: "c1", total: 60 });
    user.advanceBy(45 * MINUTE);
    user.event("order_completed", { cartId: "c1" });
    assert.deepEqual(paragraphs(story(user)), [
      "[2026-01-05] entered abandoned-cart (cartId c1) at 10:00 on cart_updated (total 60 > 50); waited 30m; " +
        "push sent 10:30; converted at 10:45 (order_completed, 45m after entry); exited at 10:45 on order_completed.",
    ]);
  });

  it("abandoned-cart: a second cart the same day is refused, and the story says why", () => {
    const user = unsubscribedShopper();
    user.event("cart_updated", { cartId: "c1", total: 90 });
    const last = paragraphs(story(user)).at(-1);
    assert.equal(
      last,
      "[2026-01-05] did not enter abandoned-cart at 13:32 on cart_updated: re-entry allowed 20h 30m from now.",
    );
  });

  it("club-welcome: a gold member gets the WhatsApp welcome, then the gold branch two hours later", () => {
    const user = new UserDriver(catalog, "dee", Date.UTC(2026, 5, 1, 9, 0));
    user.identify({
      attributes: { tier: "gold" },
      channels: { whatsapp: { address: "+447700900000" }, sms: { address: "+447700900000" } },
    });
    user.event("membership_started", { membershipId: "m-1", clubName: "Runners" });
    user.advanceBy(3 * HOUR);
    assert.deepEqual(paragraphs(story(user, "Europe/London")), [
      "[2026-06-01] entered club-welcome (membershipId m-1) at 10:00 on membership_started; whatsapp sent 10:00; " +
        "waited 2h → tier; → gold; sms sent 12:00; set perksIntroduced; finished at 12:00.",
    ]);
  });

  it("onboarding-drip: a week of 09:00 messages in the user's timezone, day by day", () => {
    const user = new UserDriver(catalog, "eve", Date.UTC(2026, 0, 5, 18, 0));
    user.identify({
      timezone: "Europe/Paris",
      channels: { push: { address: "device" }, email: { address: "eve@example.com" } },
    });
    user.event("signup", {});
    user.advanceBy(8 * DAY);
    assert.deepEqual(paragraphs(story(user, "Europe/Paris")), [
      "[2026-01-05] entered onboarding-drip at 19:00 on signup; waited until 2026-01-06 09:00; email sent 09:00; " +
        "waited 12h → day1-at-9; waited until 2026-01-07 09:00; push sent 09:00; waited 1d 12h → day3-at-9; " +
        "waited until 2026-01-09 09:00; email sent 09:00; → day7-wait; waited 3d 12h → day7-at-9; " +
        "waited until 2026-01-13 09:00; email sent 09:00; emitted onboarding_completed; finished at 09:00.",
    ]);
  });

  it("win-back: entered on becoming lapsed, split to the email variant", () => {
    const user = new UserDriver(catalog, "fay", Date.UTC(2026, 0, 5, 18, 0));
    user.identify({ channels: { push: { address: "device" }, email: { address: "fay@example.com" } } });
    user.event("order_completed", {});
    user.advanceBy(61 * DAY);
    user.event("app_opened", {});
    const told = paragraphs(story(user));
    assert.equal(told.length, 1);
    assert.match(
      told[0] as string,
      /^\[2026-03-07\] entered win-back at 18:00 on joining segment lapsed; (A: push → offer-push; push sent 18:00|B: email → offer-email; email sent 18:00); set winbackVariant; finished at 18:00\.$/,
    );
  });

  it("onboarding-drip, still in progress: says what the user is waiting for", () => {
    const user = new UserDriver(catalog, "gus", Date.UTC(2026, 0, 5, 18, 0));
    user.identify({ channels: { email: { address: "gus@example.com" } } });
    user.event("signup", {});
    assert.deepEqual(paragraphs(story(user, "America/New_York")), [
      "[2026-01-05] entered onboarding-drip at 13:00 on signup; waiting until 2026-01-06 09:00.",
    ]);
  });
});

describe("explain: what the story is built from", () => {
  it("without definitions, tells the same steps from the journal alone", () => {
    assert.deepEqual(paragraphs(explainJournal(unsubscribedShopper().journal)), [
      "[2026-01-05] entered abandoned-cart at 10:02 on cart_updated; waited 30m; push sent 10:32 (delivered 10:32:01); " +
        "waited 2h; email skipped at 12:32: unsubscribed from email; finished at 12:32.",
    ]);
  });

  it("uses the outbox to say what became of a message: failed at the provider, or still retrying", () => {
    const user = unsubscribedShopper();
    const key = user.deliveries[0]?.idempotencyKey as string;
    const failed = explainJournal(user.journal, {
      deliveries: [
        {
          idempotencyKey: key,
          status: "dead",
          attempts: 8,
          reason: "gave up after 8 attempts",
          lastError: "503 Service Unavailable",
          updatedAt: Date.UTC(2026, 0, 5, 11, 40),
        },
      ],
    });
    assert.match(
      failed,
      /push failed at 11:40: gave up after 8 attempts \(503 Service Unavailable\) \(delivered 10:32:01\)/,
    );
    const retrying = explainJournal(user.journal, {
      deliveries: [
        { idempotencyKey: key, status: "queued", attempts: 2, lastError: "timeout", updatedAt: 0 },
      ],
    });
    assert.match(retrying, /push queued 10:32 \(retrying after: timeout\)/);
  });

  it("tells one journey only, in the zone asked for", () => {
    const user = unsubscribedShopper();
    user.event("membership_started", { membershipId: "m-2" });
    const text = explainJournal(user.journal, { journeyId: "club-welcome", timezone: "Asia/Tokyo" });
    assert.deepEqual(text.split("\n"), [
      "Journal of ada (times in Asia/Tokyo):",
      "[2026-01-05] entered club-welcome at 22:32 on membership_started; whatsapp skipped at 22:32: " +
        "no whatsapp address on the profile; waiting until 2026-01-06 00:32.",
    ]);
  });

  it("marks a story whose beginning is no longer in the journal", () => {
    const lines = unsubscribedShopper().journal.slice(3);
    assert.deepEqual(paragraphs(explainJournal(lines)), [
      "[2026-01-05] abandoned-cart: … push sent 10:32 (delivered 10:32:01); waited 2h; email skipped at 12:32: " +
        "unsubscribed from email; finished at 12:32.",
    ]);
  });

  it("says so when there is nothing to tell, and tells lines outside any journey", () => {
    assert.equal(
      explainJournal([], { userId: "nobody" }),
      "Journal of nobody (times in UTC): nothing recorded.",
    );
    const failure: JournalLine = {
      at: Date.UTC(2026, 0, 5, 9, 0),
      userId: "u",
      kind: "error",
      reason: "input failed: boom",
      cause: "event",
    };
    assert.deepEqual(paragraphs(explainJournal([failure])), [
      "[2026-01-05] error at 09:00: input failed: boom.",
    ]);
  });

  it("refuses an unknown timezone", () => {
    assert.throws(() => explainJournal([], { timezone: "Mars/Olympus" }), { code: "UNKNOWN_TIMEZONE" });
  });
});
