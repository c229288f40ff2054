/** The live entries of one partition: `seqs[i]` is the row holding offset `first + i`. */
interface PartitionPositions {
  first: number;
  seqs: number[];
  /** The row of the newest entry recorded, kept after it is trimmed. */
  last: number;
}

/**
 * Where each partition's live entries sit in the log table, in memory. The table is keyed by
 * append order (`seq`) so an append writes one page, not one per partition it touches; reads of a
 * partition look its rows up here. Offsets of a partition are contiguous, so a partition needs
 * one number per entry, and only entries not yet trimmed are kept (the engine trims consumed
 * entries every second).
 */
export class LogPositions {
  private readonly partitions = new Map<number, PartitionPositions>();
  private highest = 0;

  /** Records that `offset` of `partition` is row `seq`; false when offsets before it are missing. */
  add(partition: number, offset: number, seq: number): boolean {
    if (seq > this.highest) this.highest = seq;
    const positions = this.partitions.get(partition);
    if (!positions) {
      this.partitions.set(partition, { first: offset, seqs: [seq], last: seq });
      return true;
    }
    const next = positions.first + positions.seqs.length;
    if (offset === next || (positions.seqs.length === 0 && offset > next)) {
      // (With nothing live, the entries before it were trimmed or appended elsewhere and trimmed.)
      if (offset !== next) positions.first = offset;
      positions.seqs.push(seq);
      positions.last = seq;
      return true;
    }
    // An offset already known comes again when a scan overlaps what appends recorded.
    return offset < next;
  }

  /** Rows of the entries after `after`, at most `max`. */
  seqsAfter(partition: number, after: number, max: number): number[] {
    const positions = this.partitions.get(partition);
    if (!positions) return [];
    const from = Math.max(0, after + 1 - positions.first);
    return positions.seqs.slice(from, from + max);
  }

  /** The offset the partition's next entry should have (undefined: nothing known). */
  nextOffset(partition: number): number | undefined {
    const positions = this.partitions.get(partition);
    return positions ? positions.first + positions.seqs.length : undefined;
  }

  /** The row of the partition's newest entry recorded, live or trimmed (0 when none). */
  lastSeq(partition: number): number {
    return this.partitions.get(partition)?.last ?? 0;
  }

  /** Forgets the partition's entries up to and including `upTo`. */
  drop(partition: number, upTo: number): void {
    const positions = this.partitions.get(partition);
    if (!positions) return;
    const count = Math.min(upTo + 1 - positions.first, positions.seqs.length);
    if (count <= 0) return;
    positions.seqs.splice(0, count);
    positions.first += count;
  }

  /** Marks entries up to `start` trimmed, recording the partition when nothing was known of it. */
  startAfter(partition: number, start: number): void {
    if (this.partitions.has(partition)) this.drop(partition, start);
    else this.partitions.set(partition, { first: start + 1, seqs: [], last: 0 });
  }

  /** Forgets what is known of a partition (its rows are read again from the table). */
  forget(partition: number): void {
    this.partitions.delete(partition);
  }

  /** The smallest row any partition still needs; rows before it can be deleted. */
  lowestLiveSeq(): number | undefined {
    let lowest: number | undefined;
    for (const positions of this.partitions.values()) {
      const seq = positions.seqs[0];
      if (seq !== undefined && (lowest === undefined || seq < lowest)) lowest = seq;
    }
    return lowest;
  }

  /** The largest row ever recorded, live or trimmed (0 when none). */
  highestSeq(): number {
    return this.highest;
  }
}
