// A small unified diff (LCS over lines) for plan output. Config files are small, so O(n·m) is fine.

type Op = { t: ' ' | '-' | '+'; line: string };

function ops(a: string[], b: string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      const row = lcs[i] as number[];
      const next = lcs[i + 1] as number[];
      row[j] = a[i] === b[j] ? (next[j + 1] ?? 0) + 1 : Math.max(next[j] ?? 0, row[j + 1] ?? 0);
    }
  }
  const out: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      out.push({ t: ' ', line: a[i] ?? '' });
      i++;
      j++;
    } else if (i < n && (j >= m || (lcs[i + 1]?.[j] ?? 0) >= (lcs[i]?.[j + 1] ?? 0)))
      out.push({ t: '-', line: a[i++] ?? '' });
    else out.push({ t: '+', line: b[j++] ?? '' });
  }
  return out;
}

function lines(text: string | null): string[] {
  if (text === null || text === '') return [];
  return text.replace(/\n$/, '').split('\n');
}

/** Unified diff text (without a trailing newline); empty when equal. */
export function unifiedDiff(path: string, before: string | null, after: string | null, context = 3): string {
  const all = ops(lines(before), lines(after));
  if (!all.some((o) => o.t !== ' ')) return '';
  const header = [
    `--- ${before === null ? '/dev/null' : `a${path}`}`,
    `+++ ${after === null ? '/dev/null' : `b${path}`}`,
  ];
  const hunks: string[] = [];
  let k = 0;
  while (k < all.length) {
    if (all[k]?.t === ' ') {
      k++;
      continue;
    }
    const start = Math.max(0, k - context);
    let end = k;
    let quiet = 0;
    while (end < all.length && quiet <= context * 2) {
      quiet = all[end]?.t === ' ' ? quiet + 1 : 0;
      end++;
    }
    end = Math.min(all.length, end - Math.max(0, quiet - context));
    const slice = all.slice(start, end);
    const aStart = all.slice(0, start).filter((o) => o.t !== '+').length + 1;
    const bStart = all.slice(0, start).filter((o) => o.t !== '-').length + 1;
    const aLen = slice.filter((o) => o.t !== '+').length;
    const bLen = slice.filter((o) => o.t !== '-').length;
    hunks.push(
      `@@ -${aLen ? aStart : aStart - 1},${aLen} +${bLen ? bStart : bStart - 1},${bLen} @@`,
      ...slice.map((o) => `${o.t}${o.line}`),
    );
    k = end;
  }
  return [...header, ...hunks].join('\n');
}
