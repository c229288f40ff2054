import type { Scenario } from "./context.js";

export const recovery: Scenario = {
  name: "recovery",
  summary: "todo",
  async run() {
    throw new Error("not written yet");
  },
};
