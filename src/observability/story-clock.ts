/** An IANA zone Intl does not know. */
export class UnknownTimezoneError extends Error {
  readonly code = "UNKNOWN_TIMEZONE";

  constructor(readonly timezone: string) {
    super(`unknown timezone "${timezone}"`);
    this.name = "UnknownTimezoneError";
  }
}

/**
 * Formats the moments of one story in one zone: `10:02`, `10:32:01` when the seconds matter, and
 * the date only when the day changes, as a person telling it would.
 */
export class StoryClock {
  private readonly format: Intl.DateTimeFormat;

  constructor(readonly timezone: string) {
    try {
      this.format = new Intl.DateTimeFormat("en-CA", {
        timeZone: timezone,
        year: "numeric",
        month: "2-digit",
        day: "2-digit",
        hour: "2-digit",
        minute: "2-digit",
        second: "2-digit",
        hourCycle: "h23",
      });
    } catch {
      throw new UnknownTimezoneError(timezone);
    }
  }

  /** `YYYY-MM-DD` and `HH:MM[:SS]` of a moment in the zone. */
  parts(at: number): { day: string; time: string } {
    let year = "";
    let month = "";
    let day = "";
    let hour = "";
    let minute = "";
    let second = "";
    for (const part of this.format.formatToParts(at)) {
      if (part.type === "year") year = part.value;
      else if (part.type === "month") month = part.value;
      else if (part.type === "day") day = part.value;
      else if (part.type === "hour") hour = part.value;
      else if (part.type === "minute") minute = part.value;
      else if (part.type === "second") second = part.value;
    }
    return {
      day: `${year}-${month}-${day}`,
      time: second === "00" ? `${hour}:${minute}` : `${hour}:${minute}:${second}`,
    };
  }
}

/** Times within one paragraph: the date is said once, then again only when it changes. */
export class ParagraphTime {
  private day: string | undefined;

  constructor(private readonly clock: StoryClock) {}

  /** The date the paragraph opens with (the first moment it tells). */
  opening(at: number): string {
    const { day } = this.clock.parts(at);
    this.day ??= day;
    return day;
  }

  /** `10:32`, or `2026-01-06 09:00` when the day is not the one last said. */
  at(at: number): string {
    const { day, time } = this.clock.parts(at);
    if (this.day === undefined || this.day === day) {
      this.day = day;
      return time;
    }
    this.day = day;
    return `${day} ${time}`;
  }
}
