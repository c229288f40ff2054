import type { Scenario } from "./context.js";

export const timers: Scenario = {
  name: "timers",
  summary: "todo",
  async run() {
    throw new Error("not written yet");
  },
};
