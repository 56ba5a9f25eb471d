// The published draw algorithm `ji-sha256-rank` v1 (domain/draw.py), recomputed in the browser so that anyone can
// check a draw with nothing but its record (GET /draws/{id}) and pool list (GET /draws/{id}/pool), R-DRAW-5.
// Every step follows the Python byte for byte:
//   commitment  = hex(SHA-256(ascii(seed_hex)))
//   pool text   = "code\tstratum\n" per candidate, sorted by code (code point order), UTF-8; fingerprint = its SHA-256
//   score       = SHA-256(bytes.fromhex(seed) ‖ 0x00 ‖ utf8(code)); a stratum is ranked by (score, code) ascending
//   take        = walk each stratum's ranking (strata in name order), skip and list as replaced the excused codes,
//                 take the others until the stratum's count is reached.
// No dependency: SHA-256 is crypto.subtle's where the page is a secure context (https, localhost), else the small
// implementation below (an intranet served over plain http has no crypto.subtle).

export const ALGORITHM = "ji-sha256-rank";
export const VERSION = 1;
export const NO_STRATUM = "*";

const encoder = new TextEncoder();

// ---- SHA-256 ------------------------------------------------------------------------------------------------
const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/** SHA-256 in plain JavaScript (FIPS 180-4), for pages without crypto.subtle. */
export function sha256Plain(bytes) {
  const length = bytes.length;
  const padded = new Uint8Array(((length + 9 + 63) >> 6) << 6);
  padded.set(bytes);
  padded[length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor(length / 0x20000000));
  view.setUint32(padded.length - 4, (length << 3) >>> 0);
  const hash = new Uint32Array([
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
  ]);
  const w = new Uint32Array(64);
  const rotr = (x, n) => (x >>> n) | (x << (32 - n));
  for (let offset = 0; offset < padded.length; offset += 64) {
    for (let i = 0; i < 16; i += 1) w[i] = view.getUint32(offset + i * 4);
    for (let i = 16; i < 64; i += 1) {
      const s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >>> 3);
      const s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, h] = hash;
    for (let i = 0; i < 64; i += 1) {
      const t1 = (h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i]) >>> 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      h = g; g = f; f = e; e = (d + t1) >>> 0; d = c; c = b; b = a; a = (t1 + t2) >>> 0;
    }
    hash[0] += a; hash[1] += b; hash[2] += c; hash[3] += d;
    hash[4] += e; hash[5] += f; hash[6] += g; hash[7] += h;
  }
  const out = new Uint8Array(32);
  const outView = new DataView(out.buffer);
  hash.forEach((word, i) => outView.setUint32(i * 4, word));
  return out;
}

function subtle() {
  return globalThis.crypto && globalThis.crypto.subtle ? globalThis.crypto.subtle : null;
}

/** SHA-256 of bytes → 32 bytes (crypto.subtle.digest where available). */
export async function sha256(bytes, { plain = false } = {}) {
  const engine = plain ? null : subtle();
  if (engine) return new Uint8Array(await engine.digest("SHA-256", bytes));
  return sha256Plain(bytes);
}

/** SHA-256 of many byte strings at once, in batches (a pool may hold hundreds of thousands of candidates). */
async function sha256Many(list, options) {
  const out = new Array(list.length);
  const BATCH = 4096;
  for (let start = 0; start < list.length; start += BATCH) {
    const end = Math.min(list.length, start + BATCH);
    const batch = [];
    for (let i = start; i < end; i += 1) batch.push(sha256(list[i], options));
    (await Promise.all(batch)).forEach((digest, i) => { out[start + i] = digest; });
  }
  return out;
}

export function toHex(bytes) {
  let text = "";
  for (const b of bytes) text += b.toString(16).padStart(2, "0");
  return text;
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function compareBytes(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i += 1) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** Python's str ordering (by code point), not JavaScript's default (by UTF-16 unit). */
export function compareCodePoints(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i += 1) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x !== y) {
      // A surrogate pair encodes a code point above U+FFFF: it sorts after U+E000..U+FFFF, not before.
      if (x >= 0xd800 && y >= 0xd800) {
        x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
        y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
      }
      return x - y;
    }
  }
  return a.length - b.length;
}

/** Python's sorted() of strings. */
export function sortedCodes(codes) {
  return [...codes].sort(compareCodePoints);
}

// ---- the seed and its commitment ----------------------------------------------------------------------------
/** hex(SHA-256(ascii(seed_hex))); null when the seed is not ASCII (Python's encode("ascii") refuses it). */
export async function commitment(seedHex, options) {
  if (typeof seedHex !== "string" || /[^\x00-\x7f]/.test(seedHex)) return null;
  return toHex(await sha256(encoder.encode(seedHex), options));
}

const PY_WHITESPACE = new Set([" ", "\t", "\n", "\v", "\f", "\r"]);

/** Python's bytes.fromhex: pairs of hex digits, ASCII whitespace allowed between pairs; throws otherwise. */
export function fromHex(text) {
  const out = [];
  let i = 0;
  while (i < text.length) {
    if (PY_WHITESPACE.has(text[i])) {
      i += 1;
      continue;
    }
    const pair = text.slice(i, i + 2);
    if (!/^[0-9a-fA-F]{2}$/.test(pair)) throw new Error(`随机种子不是十六进制字符串（第 ${i + 1} 个字符）。`);
    out.push(Number.parseInt(pair, 16));
    i += 2;
  }
  return new Uint8Array(out);
}

// ---- the pool list ------------------------------------------------------------------------------------------
// Python's str.splitlines() breaks lines at these (and at \r\n as one break).
const LINE_BREAKS = new Set(["\n", "\r", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]);

/** Python's str.splitlines(): no final empty line after a trailing break. */
export function splitLines(text) {
  const lines = [];
  let start = 0;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (LINE_BREAKS.has(c)) {
      lines.push(text.slice(start, i));
      i += c === "\r" && text[i + 1] === "\n" ? 2 : 1;
      start = i;
    } else {
      i += 1;
    }
  }
  if (start < text.length) lines.push(text.slice(start));
  return lines;
}

export class PoolFormatError extends Error {
  constructor(line) {
    super(`候选名单第 ${line} 行格式有误：每行应为“代码<TAB>层”。`);
    this.line = line;
  }
}

/** parse_pool: `code<TAB>stratum` lines → Map code → stratum (a repeated code keeps its last stratum). */
export function parsePool(text) {
  const candidates = new Map();
  splitLines(text).forEach((line, index) => {
    const tab = line.indexOf("\t");
    const code = tab < 0 ? "" : line.slice(0, tab);
    const stratum = tab < 0 ? "" : line.slice(tab + 1);
    if (tab < 0 || !code || !stratum) throw new PoolFormatError(index + 1);
    candidates.set(code, stratum);
  });
  return candidates;
}

/** pool_text: the canonical list a fingerprint is taken of. */
export function poolText(candidates) {
  return sortedCodes(candidates.keys()).map((code) => `${code}\t${candidates.get(code)}\n`).join("");
}

export async function fingerprint(candidates, options) {
  return toHex(await sha256(encoder.encode(poolText(candidates)), options));
}

// ---- ranking and the draw -----------------------------------------------------------------------------------
/** Codes in draw order for this seed: ascending (score, code), i.e. ascending score ‖ utf8(code). */
export async function ranking(seedHex, codes, options) {
  const prefix = concat(fromHex(seedHex), new Uint8Array([0]));
  const unique = [...new Set(codes)];
  const encoded = unique.map((code) => encoder.encode(code));
  const scores = await sha256Many(encoded.map((e) => concat(prefix, e)), options);
  const keyed = unique.map((code, i) => ({ code, key: concat(scores[i], encoded[i]) }));
  keyed.sort((a, b) => compareBytes(a.key, b.key));
  return keyed.map((k) => k.code);
}

/** draw(): counts[stratum] candidates from each stratum (strata in name order), excused ones skipped and listed. */
export async function draw(seedHex, candidates, counts, excused = [], options) {
  const excusedSet = new Set(excused);
  const strata = new Map();
  for (const [code, stratum] of candidates) {
    if (!strata.has(stratum)) strata.set(stratum, []);
    strata.get(stratum).push(code);
  }
  const drawn = [];
  const replaced = [];
  const byStratum = {};
  const shortfall = {};
  for (const stratum of sortedCodes(Object.keys(counts))) {
    const wanted = counts[stratum];
    if (typeof wanted !== "number") throw new Error(`抽取记录中“${stratum}”层的抽取数量不是数字。`);
    const picks = [];
    if (wanted > 0) {
      for (const code of await ranking(seedHex, strata.get(stratum) || [], options)) {
        if (excusedSet.has(code)) {
          replaced.push(code);
          continue;
        }
        picks.push(code);
        if (picks.length === wanted) break;
      }
    }
    if (picks.length < wanted) shortfall[stratum] = wanted - picks.length;
    byStratum[stratum] = picks;
    drawn.push(...picks);
  }
  return { drawn, replaced, byStratum, shortfall };
}

// ---- how many each stratum draws (stratum_counts, count_for_ratio) --------------------------------------------
/** A decimal number (as JSON or Python's str(Decimal) writes it) → [numerator, denominator] as BigInts. */
function decimal(value) {
  const text = String(value).trim();
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m || (m[2] === "" && (m[3] === undefined || m[3] === ""))) throw new Error(`抽取比例“${text}”不是数字。`);
  const fraction = m[3] || "";
  let numerator = BigInt((m[2] || "0") + fraction);
  let denominator = 10n ** BigInt(fraction.length);
  const exponent = Number(m[4] || 0);
  if (exponent >= 0) numerator *= 10n ** BigInt(exponent);
  else denominator *= 10n ** BigInt(-exponent);
  return [m[1] === "-" ? -numerator : numerator, denominator];
}

/** count_for_ratio: ceil(pool × ratio% ), at most the pool; a ratio outside 0..100 is refused. */
export function countForRatio(poolSize, ratioPercent) {
  const [num, den] = decimal(ratioPercent);
  if (num < 0n || num > 100n * den) throw new Error("抽取比例须在 0 到 100 之间。");
  const top = BigInt(poolSize) * num;
  const bottom = den * 100n;
  const ceil = (top + bottom - 1n) / bottom;
  return Number(ceil < BigInt(poolSize) ? ceil : BigInt(poolSize));
}

/** stratum_counts: a count, one ratio, or a ratio per credit class (R-DRAW-1, R-DRAW-3). */
export function stratumCounts(candidates, criteria) {
  if (criteria.count !== undefined && criteria.count !== null) return { [NO_STRATUM]: Math.trunc(Number(criteria.count)) };
  const sizes = new Map();
  for (const stratum of candidates.values()) sizes.set(stratum, (sizes.get(stratum) || 0) + 1);
  const byCredit = criteria.ratios_by_credit;
  if (byCredit && Object.keys(byCredit).length) {
    return Object.fromEntries(Object.entries(byCredit).map(([cls, ratio]) => [cls,
      countForRatio(sizes.get(cls) || 0, ratio)]));
  }
  if (criteria.ratio === undefined || criteria.ratio === null) throw new Error("抽取条件中没有抽取数量或比例。");
  return { [NO_STRATUM]: countForRatio(sizes.get(NO_STRATUM) || 0, criteria.ratio) };
}

// ---- verification ---------------------------------------------------------------------------------------------
function sameList(a, b) {
  return Array.isArray(b) && a.length === b.length && a.every((x, i) => x === b[i]);
}

function sameCounts(a, b) {
  if (!b || typeof b !== "object") return false;
  const ka = sortedCodes(Object.keys(a));
  const kb = sortedCodes(Object.keys(b));
  return sameList(ka, kb) && ka.every((k) => a[k] === b[k]);
}

/**
 * verify(): recompute a draw from its published record and pool list (R-DRAW-5). Returns what the server's
 * GET /draws/{id}/verification returns — {match, commitment_ok, fingerprint_ok, drawn_ok} — plus the computed
 * values, so a page can show where a mismatch lies, and `counts_ok` (an extra check the server does not make:
 * the record's per-stratum counts follow from its criteria and the pool; null when it cannot be told).
 */
export async function verify(record, poolListText, options) {
  const candidates = typeof poolListText === "string" ? parsePool(poolListText) : poolListText;
  const base = { poolSize: candidates.size, computed: null };
  // Python compares version with ==, where JSON true equals 1.
  const knownAlgorithm = record.algorithm === ALGORITHM && (record.version === VERSION || record.version === true);
  if (!knownAlgorithm) {
    return { ...base, match: false, commitment_ok: false, fingerprint_ok: false, drawn_ok: false, counts_ok: null,
      knownAlgorithm: false };
  }
  if (typeof record.seed !== "string") throw new Error("抽取记录中没有随机种子（该次抽取可能尚未执行）。");
  if (!record.counts || typeof record.counts !== "object") throw new Error("抽取记录中没有各层抽取数量。");
  const excused = Array.isArray(record.excused) ? record.excused : [];
  const [seedCommitment, poolFingerprint, result] = await Promise.all([
    commitment(record.seed, options),
    fingerprint(candidates, options),
    draw(record.seed, candidates, record.counts, excused, options),
  ]);
  const expectedReplaced = record.replaced === undefined ? [] : record.replaced;
  let countsOk = null;
  let expectedCounts = null;
  try {
    expectedCounts = stratumCounts(candidates, record.criteria || {});
    countsOk = sameCounts(expectedCounts, record.counts);
  } catch {
    countsOk = null;
  }
  const checks = {
    commitment_ok: seedCommitment !== null && seedCommitment === record.commitment,
    fingerprint_ok: poolFingerprint === record.pool_fingerprint,
    drawn_ok: sameList(result.drawn, record.drawn) && sameList(result.replaced, expectedReplaced),
  };
  return {
    ...base,
    ...checks,
    match: checks.commitment_ok && checks.fingerprint_ok && checks.drawn_ok,
    counts_ok: countsOk,
    knownAlgorithm: true,
    computed: { commitment: seedCommitment, fingerprint: poolFingerprint, drawn: result.drawn,
      replaced: result.replaced, shortfall: result.shortfall, counts: expectedCounts },
  };
}
