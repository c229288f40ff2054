import type { JourneyDefinition } from "../../src/core/model.js";

/**
 * Journeys the workload falls back on when examples/ holds none it can use: the shapes most
 * products run (abandoned cart, welcome series, browse follow-up, win-back, renewal reminder).
 * Sends use inline content so no template documents are needed.
 */
export const BASE_JOURNEYS: readonly JourneyDefinition[] = [
  {
    id: "abandoned-cart",
    name: "Abandoned cart",
    entry: {
      event: "cart_updated",
      where: { "properties.total": { $gt: 50 } },
      key: "properties.cartId",
      reentry: { after: "1d" },
    },
    exit: [{ event: "order_completed", sameKey: true }],
    goal: { event: "order_completed", within: "3d" },
    settings: { frequencyCap: { max: 3, per: "1d" } },
    start: "wait",
    nodes: {
      wait: { edges: [{ to: "push", when: { after: "30m" } }] },
      push: {
        actions: [
          {
            send: {
              channel: "push",
              content: {
                title: "Still thinking it over?",
                body: "Your cart of {{ journey.entry.properties.total }} is waiting",
              },
            },
          },
        ],
        edges: [
          { to: "done", when: { message: "opened" } },
          { to: "email", when: { after: "2h" } },
        ],
      },
      email: {
        actions: [
          {
            send: {
              channel: "email",
              content: { subject: "Your cart", text: "Hi {{ user.firstName }}, your cart is waiting." },
            },
          },
        ],
      },
      done: {},
    },
  },
  {
    id: "welcome",
    name: "Welcome series",
    entry: { event: "signed_up", reentry: "never" },
    start: "hello",
    nodes: {
      hello: {
        actions: [
          {
            send: {
              channel: "email",
              content: {
                subject: "Welcome, {{ user.firstName }}",
                text: "Glad to have you on {{ user.plan }}.",
              },
            },
          },
        ],
        edges: [{ to: "tips", when: { after: "1d" } }],
      },
      tips: {
        edges: [
          { to: "done", when: { performed: { event: "project_created", within: "1d" } } },
          { to: "nudge", when: { at: { localTime: "10:00" } } },
        ],
      },
      nudge: {
        actions: [
          { send: { channel: "push", content: { title: "Get started", body: "Create your first project" } } },
        ],
      },
      done: {},
    },
  },
  {
    id: "browse-follow-up",
    name: "Browse follow-up",
    entry: { event: "product_viewed", where: { "properties.price": { $gte: 20 } }, reentry: { after: "7d" } },
    exit: [{ event: "order_completed" }],
    start: "wait",
    nodes: {
      wait: {
        edges: [
          { to: "done", when: { event: "added_to_cart" } },
          { to: "offer", when: { after: "4h" } },
        ],
      },
      offer: {
        actions: [
          { update: { increment: { offersSent: 1 } } },
          {
            send: {
              channel: "sms",
              content: { text: "{{ user.firstName }}, the item you viewed is still available." },
            },
          },
        ],
      },
      done: {},
    },
  },
  {
    id: "win-back",
    name: "Win-back",
    entry: { event: "subscription_cancelled", reentry: "always" },
    audience: { user: { plan: { $in: ["pro", "team"] } } },
    goal: { event: "subscription_started", within: "14d", exit: true },
    start: "wait",
    nodes: {
      wait: { edges: [{ to: "ask", when: { after: "2d" } }] },
      ask: {
        actions: [
          {
            send: {
              channel: "email",
              content: { subject: "We miss you", text: "Come back to {{ user.plan }} at half price." },
            },
          },
        ],
        edges: [
          { to: "thanks", when: { event: "feedback_given" } },
          { to: "last", when: { after: "5d" } },
        ],
      },
      thanks: { actions: [{ emit: { event: "win_back_feedback" } }] },
      last: {
        actions: [
          { send: { channel: "push", content: { title: "Last chance", body: "Half price ends today" } } },
        ],
      },
    },
  },
  {
    id: "order-receipt",
    name: "Order receipt",
    entry: { event: "order_completed", key: "properties.orderId", reentry: "always" },
    start: "receipt",
    nodes: {
      receipt: {
        actions: [
          {
            send: {
              channel: "webhook",
              content: { order: "{{ event.properties.orderId }}", user: "{{ user.id }}" },
            },
          },
        ],
        edges: [{ to: "review", when: { after: "3d" } }],
      },
      review: {
        edges: [
          { to: "done", when: { event: "order_returned", sameKey: true } },
          { to: "ask", when: { after: "1d" } },
        ],
      },
      ask: {
        actions: [{ send: { channel: "push", content: { title: "How was it?", body: "Rate your order" } } }],
      },
      done: {},
    },
  },
];
