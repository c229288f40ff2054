import type { StoredTimer } from "../store/types.js";

/** A binary min-heap of timers by due time: the near future the timer service holds in memory. */
export class TimerHeap {
  private readonly items: StoredTimer[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): StoredTimer | undefined {
    return this.items[0];
  }

  push(timer: StoredTimer): void {
    const items = this.items;
    items.push(timer);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((items[parent] as StoredTimer).due <= timer.due) break;
      items[i] = items[parent] as StoredTimer;
      i = parent;
    }
    items[i] = timer;
  }

  pop(): StoredTimer | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last) {
      let i = 0;
      const n = items.length;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= n) break;
        const right = left + 1;
        const child =
          right < n && (items[right] as StoredTimer).due < (items[left] as StoredTimer).due ? right : left;
        if ((items[child] as StoredTimer).due >= last.due) break;
        items[i] = items[child] as StoredTimer;
        i = child;
      }
      items[i] = last;
    }
    return top;
  }

  clear(): void {
    this.items.length = 0;
  }
}
