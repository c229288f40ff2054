/** A plain-text table: a title, a header row and rows, printed with aligned columns. */
export interface Table {
  title: string;
  columns: string[];
  rows: (string | number)[][];
  notes?: string[];
}

/** Formats a number for a table: thousands separators, at most `digits` decimals. */
export function num(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return "-";
  return value.toLocaleString("en-US", { minimumFractionDigits: 0, maximumFractionDigits: digits });
}

/** Milliseconds with a precision that suits their size. */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return "-";
  if (value < 10) return value.toFixed(2);
  if (value < 100) return value.toFixed(1);
  return num(value);
}

/** Bytes as B, KiB, MiB or GiB. */
export function bytes(value: number): string {
  if (!Number.isFinite(value)) return "-";
  const units = ["B", "KiB", "MiB", "GiB"];
  let v = value;
  let unit = 0;
  while (Math.abs(v) >= 1024 && unit < units.length - 1) {
    v /= 1024;
    unit++;
  }
  return `${unit === 0 ? num(v) : v.toFixed(1)} ${units[unit]}`;
}

/** A ratio such as `12.3x`. */
export function ratio(value: number): string {
  if (!Number.isFinite(value)) return "-";
  return `${value >= 10 ? value.toFixed(1) : value.toFixed(2)}x`;
}

/** Renders the table; numbers are right-aligned, text left-aligned. */
export function renderTable(table: Table): string {
  const cells = [table.columns, ...table.rows.map((row) => row.map((cell) => String(cell)))];
  const widths = table.columns.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? "").length)));
  const numeric = table.columns.map((_, i) =>
    table.rows.every(
      (row) => typeof row[i] === "number" || /^[-\d.,]+( ?\S{0,4})?$/.test(String(row[i] ?? "")),
    ),
  );
  const line = (row: string[]): string =>
    row
      .map((cell, i) => (i > 0 && numeric[i] ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  const out = [`== ${table.title}`, line(table.columns), widths.map((w) => "-".repeat(w)).join("  ")];
  for (const row of cells.slice(1)) out.push(line(row));
  for (const note of table.notes ?? []) out.push(`  ${note}`);
  return out.join("\n");
}
