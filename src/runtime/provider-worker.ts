import { parentPort, workerData } from "node:worker_threads";
import type { ProviderConfig } from "../channels/config.js";
import { createProvider } from "../channels/create-provider.js";
import type { Provider } from "../channels/provider.js";
import type { FromProviderThread, ProviderThreadOptions, ToProviderThread } from "./provider-thread.js";

/**
 * The provider thread's side (provider-thread.ts): builds channel providers from their stored
 * configuration exactly as the dispatcher's own thread would, makes their calls, and answers
 * each request with its id. Providers read the wall clock and resolve names themselves here.
 */

const port = parentPort;
if (!port) throw new Error("provider-worker.ts runs as a worker thread (see provider-thread.ts)");
const options = workerData as ProviderThreadOptions;
const providers = new Map<string, Provider>();
/** Calls in flight, by request id, so the dispatcher's bound can abort them. */
const calls = new Map<number, AbortController>();

/** Answers ready in this turn of the event loop, posted together (as requests come). */
let answers: FromProviderThread[] = [];
const reply = (answer: FromProviderThread): void => {
  answers.push(answer);
  if (answers.length > 1) return;
  setImmediate(() => {
    const batch = answers;
    answers = [];
    port.postMessage(batch);
  });
};

port.on("message", (requests: ToProviderThread[]) => {
  for (const request of requests) handle(request);
});

function handle(message: ToProviderThread): void {
  switch (message.op) {
    case "open":
      open(message.id, message.key, message.config);
      break;
    case "send": {
      const provider = providers.get(message.key);
      if (!provider) {
        reply({
          id: message.id,
          ok: false,
          error: `provider ${message.key} is not open in the provider thread`,
        });
        break;
      }
      const controller = new AbortController();
      calls.set(message.id, controller);
      provider
        .send(message.messages, controller.signal)
        .then(
          (outcomes) => reply({ id: message.id, ok: true, outcomes }),
          (error: unknown) => reply({ id: message.id, ok: false, error: (error as Error).message }),
        )
        .finally(() => calls.delete(message.id));
      break;
    }
    case "abort":
      calls.get(message.id)?.abort(new Error(message.reason));
      break;
    case "close": {
      const provider = providers.get(message.key);
      providers.delete(message.key);
      (provider ? provider.close() : Promise.resolve()).then(
        () => reply({ id: message.id, ok: true }),
        (error: unknown) => reply({ id: message.id, ok: false, error: (error as Error).message }),
      );
      break;
    }
  }
}

function open(id: number, key: string, config: ProviderConfig): void {
  try {
    const provider = createProvider(config, {
      allowPrivateUrls: options.allowPrivateUrls,
      now: Date.now,
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    });
    providers.set(key, provider);
    reply({
      id,
      ok: true,
      info: {
        type: provider.type,
        channels: [...provider.channels],
        maxBatch: provider.maxBatch,
        ...(provider.maxConcurrency !== undefined ? { maxConcurrency: provider.maxConcurrency } : {}),
      },
    });
  } catch (error) {
    // createProvider only throws for the configuration: the same every time.
    reply({ id, ok: false, error: (error as Error).message, invalid: true });
  }
}
