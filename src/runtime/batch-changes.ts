import type { Effect } from "../core/effect.js";
import { type Instance, isWaiting, type JournalLine, type Profile, type Timer } from "../core/state.js";
import { emptyChanges, type NodeCounter, type ProjectChanges, type TimerKey } from "../store/types.js";

/**
 * Accumulates one project's effects over a batch, netting repeated changes to the same row
 * (an instance moved three times is written once; a timer set then cancelled is not written).
 */
export class BatchChanges {
  private readonly profiles = new Map<string, Profile>();
  private readonly instances = new Map<string, Instance>();
  /** Timers set (a Timer) or cancelled (a TimerKey), by user and id. */
  private readonly timers = new Map<string, { set: Timer } | { cancelled: TimerKey }>();
  private readonly counters = new Map<string, Required<NodeCounter>>();
  readonly changes: ProjectChanges;

  constructor(readonly project: string) {
    this.changes = emptyChanges(project);
  }

  /**
   * Folds the effects of one advance() call in. `before` is the user's instances that call
   * started from: an instance it changed leaves the waiting count of the node it was on.
   */
  absorb(effects: readonly Effect[], before: readonly Instance[]): void {
    let changed = false;
    for (const effect of effects) {
      switch (effect.type) {
        case "instance.entered":
          changed = true;
          this.putInstance(effect.instance);
          this.count(effect.instance, "entered");
          break;
        case "instance.moved":
          changed = true;
          this.putInstance(effect.instance);
          this.count(effect.instance, "entered");
          break;
        case "instance.updated":
          changed = true;
          this.putInstance(effect.instance);
          break;
        case "instance.exited":
          changed = true;
          this.putInstance(effect.instance);
          this.count(effect.instance, "exited");
          break;
        case "instance.converted":
          changed = true;
          this.putInstance(effect.instance);
          this.count(effect.instance, "converted");
          break;
        case "timer.set":
          this.timers.set(`${effect.timer.userId}\u001f${effect.timer.id}`, { set: effect.timer });
          break;
        case "timer.cancelled":
          this.timers.set(`${effect.userId}\u001f${effect.timerId}`, {
            cancelled: { userId: effect.userId, timerId: effect.timerId, due: effect.due },
          });
          break;
        case "delivery":
          this.changes.deliveries.push(effect.delivery);
          break;
        case "profile.updated":
          this.profiles.set(effect.profile.id, effect.profile);
          break;
        case "event.emitted":
          this.changes.emitted.push(effect.event);
          break;
        case "journal":
          this.changes.journal.push(effect.line);
          break;
        default: {
          const never: never = effect;
          throw new TypeError(`unknown effect ${JSON.stringify(never)}`);
        }
      }
    }
    if (changed) this.countWaiting(effects, before);
  }

  /**
   * Moves the waiting counts by what one advance() call did to each instance it changed: from
   * the node it was waiting on before the call (if it was) to the one it waits on after (if it
   * does). An instance changed several times in the call counts once, in its last state.
   */
  private countWaiting(effects: readonly Effect[], before: readonly Instance[]): void {
    for (let i = effects.length - 1; i >= 0; i--) {
      const effect = effects[i] as Effect;
      if (!effect.type.startsWith("instance.")) continue;
      const after = (effect as { instance: Instance }).instance;
      if (laterChangeOf(effects, i, after)) continue;
      const prior = before.find((b) => b.journeyId === after.journeyId && b.key === after.key);
      if (prior && isWaiting(prior)) this.counter(prior.journeyId, prior.node).waiting--;
      if (isWaiting(after)) this.counter(after.journeyId, after.node).waiting++;
    }
  }

  /** A journal line written by the runtime itself (e.g. an input that failed). */
  note(line: JournalLine): void {
    this.changes.journal.push(line);
  }

  private putInstance(instance: Instance): void {
    this.instances.set(`${instance.journeyId}\u001f${instance.userId}\u001f${instance.key}`, instance);
  }

  private count(instance: Instance, field: "entered" | "exited" | "converted"): void {
    this.counter(instance.journeyId, instance.node)[field]++;
  }

  private counter(journeyId: string, node: string): Required<NodeCounter> {
    const key = `${journeyId}\u001f${node}`;
    let counter = this.counters.get(key);
    if (!counter) {
      counter = { journeyId, node, entered: 0, exited: 0, converted: 0, waiting: 0 };
      this.counters.set(key, counter);
    }
    return counter;
  }

  /** The netted changes, ready to commit. */
  finish(): ProjectChanges {
    const changes = this.changes;
    changes.profiles = [...this.profiles.values()];
    changes.instances = [...this.instances.values()];
    for (const timer of this.timers.values()) {
      if ("set" in timer) changes.timersSet.push(timer.set);
      else changes.timersCancelled.push(timer.cancelled);
    }
    for (const counter of this.counters.values()) {
      // A count that moved away and back (an instance updated in place) writes nothing.
      if (counter.entered || counter.exited || counter.converted || counter.waiting)
        changes.counters.push(counter);
    }
    return changes;
  }

  get empty(): boolean {
    const c = this.changes;
    return (
      this.profiles.size === 0 &&
      this.instances.size === 0 &&
      this.timers.size === 0 &&
      c.deliveries.length === 0 &&
      c.journal.length === 0 &&
      c.emitted.length === 0
    );
  }
}

/** Whether an effect after position `i` changes the same instance again. */
function laterChangeOf(effects: readonly Effect[], i: number, instance: Instance): boolean {
  for (let j = i + 1; j < effects.length; j++) {
    const effect = effects[j] as Effect;
    if (!effect.type.startsWith("instance.")) continue;
    const other = (effect as { instance: Instance }).instance;
    if (other.journeyId === instance.journeyId && other.key === instance.key) return true;
  }
  return false;
}
