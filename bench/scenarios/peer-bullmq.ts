import type { Scenario } from "./context.js";

export const peerBullmq: Scenario = {
  name: "peer-bullmq",
  summary: "todo",
  async run() {
    throw new Error("not written yet");
  },
};
