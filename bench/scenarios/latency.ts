import type { Scenario } from "./context.js";

export const latency: Scenario = {
  name: "latency",
  summary: "todo",
  async run() {
    throw new Error("not written yet");
  },
};
