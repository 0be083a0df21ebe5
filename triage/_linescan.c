/* Native line selection for big inputs: see triage/inputs/linescan.py for the contract.
 *
 * select(data, first, stop, end, keep_unless=(), prefixes=(), suffixes=(), needles=(), folded=(),
 *        quiet=(), longer_than=0, stamps=False, empty=False)
 *   -> (lines, [(index, start, end), ...])
 *
 * With AVX2, all needles are found in one pass of a nibble filter ("Teddy", teddy_scan); without
 * it, one SSE2 or scalar pass per needle tests its first and last byte. Candidates are confirmed
 * with memcmp (ASCII case folded for ``folded``). Lines are walked with memchr and numbered on
 * the way; with AVX2 and no keep_unless / longer_than, only the lines whose first or last byte
 * could make them taken are visited (walk_avx2), the others are just counted. The scan runs with the GIL released, so two threads scan two blocks of one mapped
 * file at once. utf8_valid(data, start, end) checks strict UTF-8 the same way, without a copy.
 * progress_run(data, start, end) finds a run of pytest -v progress lines (for the pytest reader).
 */
#define PY_SSIZE_T_CLEAN
#define _GNU_SOURCE
#include <Python.h>
#include <string.h>
#include <stdint.h>
#include <stdlib.h>

typedef struct {
    const unsigned char *bytes;
    Py_ssize_t len;
} pattern;

typedef struct {
    pattern *items;
    Py_ssize_t n;
    unsigned char first[256], last[256]; /* does some pattern start / end with this byte? */
} pattern_set;

typedef struct {
    Py_ssize_t start, end, index;
} span;

typedef struct {
    span *items;
    Py_ssize_t n, cap;
} span_list;

static int spans_push(span_list *l, Py_ssize_t s, Py_ssize_t e, Py_ssize_t index) {
    if (l->n == l->cap) {
        Py_ssize_t cap = l->cap ? l->cap * 2 : 256;
        span *grown = realloc(l->items, (size_t)cap * sizeof(span));
        if (!grown) return -1;
        l->items = grown;
        l->cap = cap;
    }
    l->items[l->n].start = s;
    l->items[l->n].end = e;
    l->items[l->n].index = index;
    l->n++;
    return 0;
}

static int read_patterns(PyObject *seq, pattern_set *out, const char *what) {
    out->n = 0;
    out->items = NULL;
    memset(out->first, 0, sizeof(out->first));
    memset(out->last, 0, sizeof(out->last));
    if (seq == NULL || seq == Py_None) return 0;
    if (!PyTuple_Check(seq)) {
        PyErr_Format(PyExc_TypeError, "%s must be a tuple of bytes", what);
        return -1;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(seq);
    out->items = PyMem_Malloc((size_t)(n ? n : 1) * sizeof(pattern));
    if (!out->items) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyTuple_GET_ITEM(seq, i);
        if (!PyBytes_Check(item)) {
            PyErr_Format(PyExc_TypeError, "%s must be a tuple of bytes", what);
            return -1;
        }
        if (PyBytes_GET_SIZE(item) == 0) continue;
        const unsigned char *b = (const unsigned char *)PyBytes_AS_STRING(item);
        Py_ssize_t k = PyBytes_GET_SIZE(item);
        out->items[out->n].bytes = b;
        out->items[out->n].len = k;
        out->first[b[0]] = out->last[b[k - 1]] = 1;
        out->n++;
    }
    return 0;
}

#define SETS 7 /* keep_unless, prefixes, suffixes, needles, folded, quiet, required */

static void free_patterns(pattern_set *sets) {
    for (int j = 0; j < SETS; j++) {
        PyMem_Free(sets[j].items);
        sets[j].items = NULL;
    }
}

static inline unsigned char lower(unsigned char c) {
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 0x20) : c;
}

static int equal_folded(const unsigned char *a, const unsigned char *lowered, Py_ssize_t n) {
    for (Py_ssize_t i = 0; i < n; i++)
        if (lower(a[i]) != lowered[i]) return 0;
    return 1;
}

static inline Py_ssize_t line_start(const unsigned char *d, Py_ssize_t first, Py_ssize_t pos) {
#ifdef __GLIBC__
    const unsigned char *nl = memrchr(d + first, '\n', (size_t)(pos - first));
    return nl ? (Py_ssize_t)(nl - d) + 1 : first;
#else
    while (pos > first && d[pos - 1] != '\n') pos--;
    return pos;
#endif
}

static inline Py_ssize_t line_end(const unsigned char *d, Py_ssize_t pos, Py_ssize_t end) {
    const unsigned char *nl = memchr(d + pos, '\n', (size_t)(end - pos));
    return nl ? (Py_ssize_t)(nl - d) : end;
}

static inline int confirm(const unsigned char *at, const pattern *p, int fold) {
    return fold ? equal_folded(at, p->bytes, p->len) : memcmp(at, p->bytes, (size_t)p->len) == 0;
}

/* The first h in [i, limit) where the needle occurs (h + len <= end), or -1. The vector
 * versions test a needle's first and last byte at 32 or 16 positions per step (with the 0x20
 * bit set for letters when folding) and confirm the few candidates. */
static Py_ssize_t next_hit_scalar(const unsigned char *d, Py_ssize_t i, Py_ssize_t limit,
                                  Py_ssize_t end, const pattern *p, int fold) {
    Py_ssize_t k = p->len;
    unsigned char f = p->bytes[0];
    if (limit > end - k + 1) limit = end - k + 1;
    for (; i < limit; i++)
        if ((fold ? lower(d[i]) == f : d[i] == f) && confirm(d + i, p, fold)) return i;
    return -1;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_VECTORS 1

static Py_ssize_t next_hit_sse2(const unsigned char *d, Py_ssize_t i, Py_ssize_t limit,
                                Py_ssize_t end, const pattern *p, int fold) {
    Py_ssize_t k = p->len;
    unsigned char f = p->bytes[0], l = p->bytes[k - 1];
    const __m128i vf = _mm_set1_epi8((char)f), vl = _mm_set1_epi8((char)l);
    const __m128i mf = _mm_set1_epi8((fold && f >= 'a' && f <= 'z') ? 0x20 : 0);
    const __m128i ml = _mm_set1_epi8((fold && l >= 'a' && l <= 'z') ? 0x20 : 0);
    for (; i < limit && i + k + 15 <= end; i += 16) {
        __m128i a = _mm_loadu_si128((const __m128i *)(d + i));
        __m128i b = _mm_loadu_si128((const __m128i *)(d + i + k - 1));
        unsigned mask = (unsigned)_mm_movemask_epi8(_mm_and_si128(
            _mm_cmpeq_epi8(_mm_or_si128(a, mf), vf), _mm_cmpeq_epi8(_mm_or_si128(b, ml), vl)));
        while (mask) {
            Py_ssize_t h = i + __builtin_ctz(mask);
            if (h >= limit) return -1;
            if (confirm(d + h, p, fold)) return h;
            mask &= mask - 1;
        }
    }
    return i < limit ? next_hit_scalar(d, i, limit, end, p, fold) : -1;
}

__attribute__((target("avx2"))) static Py_ssize_t next_hit_avx2(const unsigned char *d,
                                                                Py_ssize_t i, Py_ssize_t limit,
                                                                Py_ssize_t end, const pattern *p,
                                                                int fold) {
    Py_ssize_t k = p->len;
    unsigned char f = p->bytes[0], l = p->bytes[k - 1];
    const __m256i vf = _mm256_set1_epi8((char)f), vl = _mm256_set1_epi8((char)l);
    const __m256i mf = _mm256_set1_epi8((fold && f >= 'a' && f <= 'z') ? 0x20 : 0);
    const __m256i ml = _mm256_set1_epi8((fold && l >= 'a' && l <= 'z') ? 0x20 : 0);
    for (; i < limit && i + k + 31 <= end; i += 32) {
        __m256i a = _mm256_loadu_si256((const __m256i *)(d + i));
        __m256i b = _mm256_loadu_si256((const __m256i *)(d + i + k - 1));
        unsigned mask = (unsigned)_mm256_movemask_epi8(
            _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_or_si256(a, mf), vf),
                             _mm256_cmpeq_epi8(_mm256_or_si256(b, ml), vl)));
        while (mask) {
            Py_ssize_t h = i + __builtin_ctz(mask);
            if (h >= limit) return -1;
            if (confirm(d + h, p, fold)) return h;
            mask &= mask - 1;
        }
    }
    return i < limit ? next_hit_sse2(d, i, limit, end, p, fold) : -1;
}

__attribute__((target("avx2"))) static Py_ssize_t count_avx2(const unsigned char *d,
                                                             Py_ssize_t from, Py_ssize_t to) {
    Py_ssize_t n = 0;
    const __m256i nl = _mm256_set1_epi8('\n');
    for (; from + 32 <= to; from += 32) {
        __m256i a = _mm256_loadu_si256((const __m256i *)(d + from));
        n += __builtin_popcount((unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(a, nl)));
    }
    for (; from < to; from++) n += d[from] == '\n';
    return n;
}
#endif

typedef Py_ssize_t (*hit_fn)(const unsigned char *, Py_ssize_t, Py_ssize_t, Py_ssize_t,
                             const pattern *, int);
static hit_fn next_hit = next_hit_scalar;
static int use_avx2 = 0;

static Py_ssize_t count_newlines(const unsigned char *d, Py_ssize_t from, Py_ssize_t to) {
#ifdef HAVE_VECTORS
    if (use_avx2) return count_avx2(d, from, to);
#endif
    Py_ssize_t n = 0;
    while (from < to) {
        const unsigned char *nl = memchr(d + from, '\n', (size_t)(to - from));
        if (!nl) break;
        n++;
        from = (Py_ssize_t)(nl - d) + 1;
    }
    return n;
}


#ifdef HAVE_VECTORS
/* All needles in one pass (the "Teddy" filter of Hyperscan and Rust's regex crate): each needle
 * goes to one of 8 buckets; for each of its first 3 bytes, nibble tables hold the buckets
 * whose needle has that low / high nibble there (both cases of a folded letter; any byte past
 * a short needle's end). Per 32 positions: 3 loads, 6 shuffles, a few ANDs: the bytes left
 * non-zero are the candidate starts, with the buckets to confirm. */
#define FP 3

typedef struct {
    const pattern *p;
    int fold;
    Py_ssize_t at; /* where in the needle its 3-byte fingerprint starts */
} needle_ref;

#define GROUPS 8     /* up to 64 needles get a bucket each, in up to 8 passes */
#define PER_BUCKET 16 /* beyond GROUPS * 8 * PER_BUCKET needles the per-needle path is used */

typedef struct {
    unsigned char lo[FP][16], hi[FP][16];
    needle_ref refs[8][PER_BUCKET];
    int count[8];
} teddy;

typedef struct {
    teddy group[GROUPS];
    int n;
} teddy_set;

#define SAMPLE (16 << 10)
#define HASH(a, b, c) ((((unsigned)(a) * 961u) + ((unsigned)(b) * 31u) + (unsigned)(c)) & 4095u)

/* Each needle is fingerprinted by its 3 bytes that are rarest in a sample of the data (case
 * folded): "status\":5" by "\":5", not by "sta", which every pino-http line holds. */
static Py_ssize_t rarest_window(const pattern *p, const unsigned short *seen) {
    Py_ssize_t best = 0;
    unsigned best_count = ~0u;
    for (Py_ssize_t w = 0; w + FP <= p->len; w++) {
        const unsigned char *b = p->bytes + w;
        unsigned c = seen[HASH(lower(b[0]), lower(b[1]), lower(b[2]))];
        if (c < best_count) {
            best_count = c;
            best = w;
        }
    }
    return best;
}

/* Needles sharing a bucket multiply each other's false candidates, so more than 8 needles are
 * spread over several passes (groups) before any bucket is shared. */
static int teddy_build(teddy_set *ts, const pattern_set *exact, const pattern_set *folded,
                       const unsigned char *sample, Py_ssize_t n) {
    memset(ts, 0, sizeof(*ts));
    unsigned short *seen = calloc(4096, sizeof(unsigned short));
    if (!seen) return -1;
    for (Py_ssize_t i = 0; i + 2 < n && i < SAMPLE; i++) {
        unsigned h = HASH(lower(sample[i]), lower(sample[i + 1]), lower(sample[i + 2]));
        if (seen[h] < 65535) seen[h]++;
    }
    Py_ssize_t total = exact->n + folded->n;
    ts->n = (int)((total + 7) / 8 < GROUPS ? (total + 7) / 8 : GROUPS);
    for (Py_ssize_t j = 0; j < total; j++) {
        int fold = j >= exact->n;
        const pattern *p = fold ? &folded->items[j - exact->n] : &exact->items[j];
        teddy *t = &ts->group[j % ts->n];
        int b = (int)((j / ts->n) % 8);
        if (t->count[b] == PER_BUCKET) {
            free(seen);
            return -1;
        }
        Py_ssize_t at = rarest_window(p, seen);
        t->refs[b][t->count[b]++] = (needle_ref){p, fold, at};
        unsigned char bit = (unsigned char)(1u << b);
        for (int o = 0; o < FP; o++) {
            if (at + o >= p->len) {
                for (int x = 0; x < 16; x++) {
                    t->lo[o][x] |= bit;
                    t->hi[o][x] |= bit;
                }
                continue;
            }
            unsigned char c = p->bytes[at + o];
            t->lo[o][c & 15] |= bit;
            t->hi[o][c >> 4] |= bit;
            if (fold && c >= 'a' && c <= 'z') t->hi[o][(c & 0xdf) >> 4] |= bit;
        }
    }
    free(seen);
    return 0;
}

/* A needle whose fingerprint starts at w, lying inside its line and starting at or after lo:
 * its start, or -1; *eol gets that line's end. */
static Py_ssize_t teddy_confirm(const unsigned char *d, Py_ssize_t w, Py_ssize_t lo,
                                Py_ssize_t end, unsigned buckets, const teddy *t,
                                Py_ssize_t *eol) {
    while (buckets) {
        int b = __builtin_ctz(buckets);
        buckets &= buckets - 1;
        for (int j = 0; j < t->count[b]; j++) {
            const needle_ref *r = &t->refs[b][j];
            Py_ssize_t h = w - r->at;
            if (h < lo || h + r->p->len > end || !confirm(d + h, r->p, r->fold)) continue;
            Py_ssize_t e = line_end(d, h, end);
            if (h + r->p->len <= e) {
                *eol = e;
                return h;
            }
        }
    }
    return -1;
}

/* Every group's filter on the same loads: per 32 positions, 3 loads and the nibbles once, then
 * 6 shuffles and a few ANDs per group; the earliest confirmed needle (of any group) gives the
 * next line, so lines come out in order, each once. */
__attribute__((target("avx2"))) static int teddy_scan(const unsigned char *d, Py_ssize_t first,
                                                      Py_ssize_t stop, Py_ssize_t end,
                                                      const teddy_set *ts, span_list *out) {
    const int n = ts->n;
    __m256i lo[GROUPS][FP], hi[GROUPS][FP];
    for (int g = 0; g < n; g++)
        for (int o = 0; o < FP; o++) {
            lo[g][o] = _mm256_broadcastsi128_si256(
                _mm_loadu_si128((const __m128i *)ts->group[g].lo[o]));
            hi[g][o] = _mm256_broadcastsi128_si256(
                _mm_loadu_si128((const __m128i *)ts->group[g].hi[o]));
        }
    const __m256i nib = _mm256_set1_epi8(15), zero = _mm256_setzero_si256();
    unsigned char res[32];
    Py_ssize_t i = first;
    while (i < end) {
        Py_ssize_t hit = -1, eol = -1, lo_bound = i;
        for (; hit < 0 && i + 32 + FP - 1 <= end; i += 32) {
            __m256i vl[FP], vh[FP];
            for (int o = 0; o < FP; o++) {
                __m256i v = _mm256_loadu_si256((const __m256i *)(d + i + o));
                vl[o] = _mm256_and_si256(v, nib);
                vh[o] = _mm256_and_si256(_mm256_srli_epi16(v, 4), nib);
            }
            for (int g = 0; g < n; g++) {
                __m256i acc = _mm256_and_si256(_mm256_shuffle_epi8(lo[g][0], vl[0]),
                                               _mm256_shuffle_epi8(hi[g][0], vh[0]));
                for (int o = 1; o < FP; o++)
                    acc = _mm256_and_si256(acc,
                                           _mm256_and_si256(_mm256_shuffle_epi8(lo[g][o], vl[o]),
                                                            _mm256_shuffle_epi8(hi[g][o], vh[o])));
                unsigned mask = ~(unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(acc, zero));
                if (!mask) continue;
                _mm256_storeu_si256((__m256i *)res, acc);
                while (mask) {
                    int bit = __builtin_ctz(mask);
                    mask &= mask - 1;
                    Py_ssize_t e = -1;
                    Py_ssize_t h = teddy_confirm(d, i + bit, lo_bound, end, res[bit],
                                                 &ts->group[g], &e);
                    if (h >= 0) {
                        if (hit < 0 || h < hit) {
                            hit = h;
                            eol = e;
                        }
                        break;
                    }
                }
            }
        }
        for (; hit < 0 && i < end; i++) /* the tail: every bucket at every position */
            for (int g = 0; g < n; g++) {
                Py_ssize_t e = -1;
                Py_ssize_t h = teddy_confirm(d, i, lo_bound, end, 0xff, &ts->group[g], &e);
                if (h >= 0 && (hit < 0 || h < hit)) {
                    hit = h;
                    eol = e;
                }
            }
        if (hit < 0) break;
        Py_ssize_t s = line_start(d, first, hit);
        if (s >= stop) break;
        if (spans_push(out, s, eol, 0) < 0) return -1;
        i = eol + 1;
    }
    return 0;
}
#endif

#define TILE (64 << 10)

/* Every line starting in [first, stop) that holds a needle of sets[0] (exact) or sets[1]
 * (folded): appended to out. Tile by tile, every needle in turn, so each tile is read from
 * memory once whatever the number of needles. */
static int find_needles(const unsigned char *d, Py_ssize_t first, Py_ssize_t stop, Py_ssize_t end,
                        const pattern_set *exact, const pattern_set *folded, span_list *out) {
    Py_ssize_t total = exact->n + folded->n;
    if (total == 0) return 0;
    Py_ssize_t *resume = malloc((size_t)total * sizeof(Py_ssize_t));
    if (!resume) return -1;
    for (Py_ssize_t j = 0; j < total; j++) resume[j] = first;
    Py_ssize_t live = total;
    for (Py_ssize_t tile = first; tile < end && live; tile += TILE) {
        Py_ssize_t limit = tile + TILE < end ? tile + TILE : end;
        for (Py_ssize_t j = 0; j < total; j++) {
            int fold = j >= exact->n;
            const pattern *p = fold ? &folded->items[j - exact->n] : &exact->items[j];
            Py_ssize_t i = resume[j];
            if (i < 0) continue; /* done: its next hit starts a line at or after stop */
            while (i < limit) {
                Py_ssize_t h = next_hit(d, i, limit, end, p, fold);
                if (h < 0) {
                    i = limit;
                    break;
                }
                Py_ssize_t s = line_start(d, first, h);
                if (s >= stop) {
                    i = -1;
                    live--;
                    break;
                }
                Py_ssize_t e = line_end(d, h, end);
                if (h + p->len <= e && spans_push(out, s, e, 0) < 0) {
                    free(resume);
                    return -1;
                }
                i = e + 1;
            }
            resume[j] = i;
        }
    }
    free(resume);
    return 0;
}

static int starts_with_any(const unsigned char *d, Py_ssize_t s, Py_ssize_t e,
                           const pattern_set *set) {
    if (s == e || !set->first[d[s]]) return 0;
    for (Py_ssize_t j = 0; j < set->n; j++) {
        const pattern *p = &set->items[j];
        if (p->bytes[0] == d[s] && e - s >= p->len && memcmp(d + s, p->bytes, (size_t)p->len) == 0)
            return 1;
    }
    return 0;
}

static int ends_with_any(const unsigned char *d, Py_ssize_t s, Py_ssize_t e,
                         const pattern_set *set) {
    if (s == e || !set->last[d[e - 1]]) return 0;
    for (Py_ssize_t j = 0; j < set->n; j++) {
        const pattern *p = &set->items[j];
        if (p->bytes[p->len - 1] == d[e - 1] && e - s >= p->len &&
            memcmp(d + e - p->len, p->bytes, (size_t)p->len) == 0)
            return 1;
    }
    return 0;
}

/* The length of a GitHub Actions log stamp ("2024-05-01T12:00:00.1234567Z ") at the start of a
 * line, or 0: the reader drops it, so prefixes are looked for after it. */
static Py_ssize_t stamp_length(const unsigned char *s, Py_ssize_t n) {
    static const char shape[] = "dddd-dd-ddTdd:dd:dd.";
    Py_ssize_t k = 0;
    for (; shape[k]; k++) {
        if (k >= n) return 0;
        int digit = s[k] >= '0' && s[k] <= '9';
        if (shape[k] == 'd' ? !digit : s[k] != (unsigned char)shape[k]) return 0;
    }
    Py_ssize_t fraction = k;
    while (k < n && s[k] >= '0' && s[k] <= '9') k++;
    if (k == fraction || k + 2 > n || s[k] != 'Z' || s[k + 1] != ' ') return 0;
    return k + 2;
}

/* Whether the line [pos, e) is taken for what the walk looks at (all but needles). */
static int walk_takes(const unsigned char *d, Py_ssize_t pos, Py_ssize_t e,
                      const pattern_set *sets, int stamps, int empty, Py_ssize_t longer) {
    Py_ssize_t from = stamps ? pos + stamp_length(d + pos, e - pos) : pos;
    int quiet = sets[5].n && starts_with_any(d, from, e, &sets[5]);
    return (longer > 0 && e - pos > longer) ||
           (empty && (e == from || (e == from + 1 && d[from] == '\r'))) ||
           (!quiet && ((sets[0].n && !starts_with_any(d, from, e, &sets[0])) ||
                       (sets[1].n && starts_with_any(d, from, e, &sets[1])) ||
                       (sets[2].n && ends_with_any(d, from, e, &sets[2]))));
}

#ifdef HAVE_VECTORS
/* Bytes as a 256-bit set for a 32-wide membership test: bit (hi nibble % 8) of entry [lo
 * nibble], in ``a`` for bytes below 128, in ``b`` for the others. */
typedef struct {
    unsigned char a[16], b[16];
} byteset;

static void byteset_add(byteset *set, unsigned c) {
    if (c < 128)
        set->a[c & 15] |= (unsigned char)(1u << (c >> 4));
    else
        set->b[c & 15] |= (unsigned char)(1u << ((c >> 4) - 8));
}

static inline int byteset_has(const byteset *set, unsigned c) {
    return c < 128 ? (set->a[c & 15] >> (c >> 4)) & 1 : (set->b[c & 15] >> ((c >> 4) - 8)) & 1;
}

__attribute__((target("avx2"))) static inline unsigned byteset_mask(__m256i v, __m256i a,
                                                                    __m256i b, __m256i bit) {
    const __m256i nib = _mm256_set1_epi8(15);
    __m256i lo = _mm256_and_si256(v, nib);
    __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), nib);
    __m256i high = _mm256_cmpgt_epi8(hi, _mm256_set1_epi8(7));
    __m256i bits = _mm256_blendv_epi8(_mm256_shuffle_epi8(a, lo), _mm256_shuffle_epi8(b, lo), high);
    __m256i hit = _mm256_and_si256(bits, _mm256_shuffle_epi8(bit, hi));
    return ~(unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(hit, _mm256_setzero_si256()));
}

/* The walk without keep_unless or longer_than, visiting only the lines it could take: a line
 * is taken for a prefix only if its first byte may start one (a digit too with stamps: a stamp
 * may come first; "\n" or "\r" when empty lines are taken), for a suffix only if its last byte
 * may end one. Such first and last bytes are found 32 positions at a time; each of their
 * lines is tested as the walk tests it. Appends the lines taken, in order. */
__attribute__((target("avx2"))) static int walk_avx2(const unsigned char *d, Py_ssize_t first,
                                                     Py_ssize_t stop, Py_ssize_t end,
                                                     const pattern_set *sets, int stamps,
                                                     int empty, span_list *out) {
    byteset S, L;
    memset(&S, 0, sizeof S);
    memset(&L, 0, sizeof L);
    for (unsigned c = 0; c < 256; c++) {
        if (sets[1].n && sets[1].first[c]) byteset_add(&S, c);
        if (sets[2].n && sets[2].last[c]) byteset_add(&L, c);
    }
    if (stamps)
        for (unsigned c = '0'; c <= '9'; c++) byteset_add(&S, c);
    if (empty) {
        byteset_add(&S, '\n');
        byteset_add(&S, '\r');
    }
    unsigned char bits[16];
    for (int h = 0; h < 16; h++) bits[h] = (unsigned char)(1u << (h & 7));
    const __m256i sa = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)S.a));
    const __m256i sb = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)S.b));
    const __m256i la = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)L.a));
    const __m256i lb = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)L.b));
    const __m256i bit = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)bits));
    const __m256i nl = _mm256_set1_epi8('\n');
    const int suffixes = sets[2].n > 0;
    if (stop <= first) return 0;
    Py_ssize_t lim = line_end(d, stop - 1, end); /* past it, lines start at or after stop */
    Py_ssize_t tested = -1;                      /* start of the last line tested */
    Py_ssize_t q = first;
    while (q <= lim && q < end) {
        unsigned starts = 0, ends = 0;
        int width = 1;
        if (q > first && q + 33 <= end) {
            __m256i prev = _mm256_loadu_si256((const __m256i *)(d + q - 1));
            __m256i cur = _mm256_loadu_si256((const __m256i *)(d + q));
            __m256i next = suffixes ? _mm256_loadu_si256((const __m256i *)(d + q + 1)) : cur;
            starts = (unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(prev, nl));
            if (starts) starts &= byteset_mask(cur, sa, sb, bit);
            if (suffixes) {
                ends = (unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(next, nl));
                if (ends) ends &= byteset_mask(cur, la, lb, bit);
            }
            width = 32;
        } else {
            starts = (q == first || d[q - 1] == '\n') && byteset_has(&S, d[q]);
            ends = (q + 1 == end || d[q + 1] == '\n') && byteset_has(&L, d[q]);
        }
        unsigned m = starts | ends;
        while (m) {
            int j = __builtin_ctz(m);
            m &= m - 1;
            Py_ssize_t at = q + j;
            if (at > lim) break;
            Py_ssize_t s = (starts >> j) & 1 ? at : line_start(d, first, at);
            if (s == tested || s >= stop) continue;
            tested = s;
            Py_ssize_t e = line_end(d, s, end);
            if (walk_takes(d, s, e, sets, stamps, empty, 0) && spans_push(out, s, e, 0) < 0)
                return -1;
        }
        q += width;
    }
    return 0;
}
#endif

static int by_start(const void *a, const void *b) {
    Py_ssize_t x = ((const span *)a)->start, y = ((const span *)b)->start;
    return (x > y) - (x < y);
}

/* Keeps the taken lines that hold one of the patterns (the key search's values, in a line found
 * by its column's name); their numbers are already set. */
static void keep_holding(const unsigned char *d, span_list *found, const pattern_set *required) {
    Py_ssize_t kept = 0;
    for (Py_ssize_t j = 0; j < found->n; j++) {
        const span f = found->items[j];
        for (Py_ssize_t k = 0; k < required->n; k++) {
            const pattern *p = &required->items[k];
            if (memmem(d + f.start, (size_t)(f.end - f.start), p->bytes, (size_t)p->len)) {
                found->items[kept++] = f;
                break;
            }
        }
    }
    found->n = kept;
}

static PyObject *linescan_select(PyObject *self, PyObject *args, PyObject *kwargs) {
    (void)self;
    static char *kwlist[] = {"data",     "first",    "stop",    "end",    "keep_unless",
                             "prefixes", "suffixes", "needles", "folded", "quiet",
                             "longer_than", "stamps", "empty", "required", NULL};
    Py_buffer view;
    Py_ssize_t first, stop, end;
    PyObject *keep_o = NULL, *pre_o = NULL, *suf_o = NULL, *needle_o = NULL, *fold_o = NULL;
    PyObject *quiet_o = NULL, *required_o = NULL;
    Py_ssize_t longer = 0;
    int stamps = 0, empty = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "y*nnn|OOOOOOnppO", kwlist, &view, &first,
                                     &stop, &end, &keep_o, &pre_o, &suf_o, &needle_o, &fold_o,
                                     &quiet_o, &longer, &stamps, &empty, &required_o))
        return NULL;
    pattern_set sets[SETS];
    for (int j = 0; j < SETS; j++) sets[j].items = NULL;
    if (read_patterns(keep_o, &sets[0], "keep_unless") < 0 ||
        read_patterns(pre_o, &sets[1], "prefixes") < 0 ||
        read_patterns(suf_o, &sets[2], "suffixes") < 0 ||
        read_patterns(needle_o, &sets[3], "needles") < 0 ||
        read_patterns(fold_o, &sets[4], "folded") < 0 ||
        read_patterns(quiet_o, &sets[5], "quiet") < 0 ||
        read_patterns(required_o, &sets[6], "required") < 0) {
        free_patterns(sets);
        PyBuffer_Release(&view);
        return NULL;
    }
    if (end > view.len) end = view.len;
    if (end < 0) end = 0;
    if (first < 0) first = 0;
    if (first > end) first = end;
    if (stop > end) stop = end;
    if (stop < first) stop = first;

    void *tables = NULL;
#ifdef HAVE_VECTORS
    if (use_avx2 && sets[3].n + sets[4].n > 0) {
        tables = PyMem_Malloc(sizeof(teddy_set));
        if (tables && teddy_build(tables, &sets[3], &sets[4], (const unsigned char *)view.buf + first,
                                  end - first) < 0) {
            PyMem_Free(tables);
            tables = NULL;
        }
    }
#endif
    const unsigned char *d = (const unsigned char *)view.buf;
    span_list found = {NULL, 0, 0};
    Py_ssize_t lines = 0;
    int failed = 0;

    Py_BEGIN_ALLOW_THREADS
#ifdef HAVE_VECTORS
    if (use_avx2 && tables != NULL)
        failed = teddy_scan(d, first, stop, end, (teddy_set *)tables, &found) < 0;
    else
#endif
        failed = find_needles(d, first, stop, end, &sets[3], &sets[4], &found) < 0;
    /* needle hits in file order: the one-pass filter finds them so; the per-needle path not */
    int sorted = 0;
#ifdef HAVE_VECTORS
    sorted = use_avx2 && tables != NULL;
#endif
    if (!failed && !sorted && found.n) {
        qsort(found.items, (size_t)found.n, sizeof(span), by_start);
        Py_ssize_t kept = 0;
        for (Py_ssize_t j = 0; j < found.n; j++)
            if (kept == 0 || found.items[kept - 1].start != found.items[j].start)
                found.items[kept++] = found.items[j];
        found.n = kept;
    }
    int walk = sets[0].n || sets[1].n || sets[2].n || longer > 0 || empty;
#ifdef HAVE_VECTORS
    if (!failed && walk && use_avx2 && !sets[0].n && longer <= 0) {
        /* only the lines that could be taken are visited; merged with the needles' lines */
        span_list walked = {NULL, 0, 0};
        failed = walk_avx2(d, first, stop, end, sets, stamps, empty, &walked) < 0;
        span_list merged = {NULL, 0, 0};
        Py_ssize_t a = 0, b = 0;
        while (!failed && (a < found.n || b < walked.n)) {
            span next;
            if (b == walked.n || (a < found.n && found.items[a].start <= walked.items[b].start)) {
                next = found.items[a++];
                if (b < walked.n && walked.items[b].start == next.start) b++;
            } else {
                next = walked.items[b++];
            }
            failed = spans_push(&merged, next.start, next.end, 0) < 0;
        }
        free(found.items);
        free(walked.items);
        found = merged;
        walk = 0; /* numbered below, as needles' lines are */
    }
#endif
    if (!failed && walk) {
        /* walk every line, numbering as we go; a needle's line is taken on the way */
        span_list walked = {NULL, 0, 0};
        Py_ssize_t index = 0, next = 0;
        for (Py_ssize_t pos = first; pos < stop; index++) {
            Py_ssize_t e = line_end(d, pos, end);
            int take = next < found.n && found.items[next].start == pos;
            next += take;
            take = take || walk_takes(d, pos, e, sets, stamps, empty, longer);
            if (take && spans_push(&walked, pos, e, index) < 0) {
                failed = 1;
                break;
            }
            pos = e + 1;
        }
        free(found.items);
        found = walked;
        lines = index;
    } else if (!failed && first < stop) {
        Py_ssize_t index = 0, last = first;
        for (Py_ssize_t j = 0; j < found.n; j++) {
            index += count_newlines(d, last, found.items[j].start);
            last = found.items[j].start;
            found.items[j].index = index;
        }
        lines = 1 + index + count_newlines(d, last, stop - 1);
    }
    if (!failed && sets[6].n) keep_holding(d, &found, &sets[6]);
    Py_END_ALLOW_THREADS

    free_patterns(sets);
    PyMem_Free(tables);
    PyObject *result = NULL;
    if (failed) {
        PyErr_NoMemory();
        goto done;
    }
    PyObject *list = PyList_New(found.n);
    if (!list) goto done;
    for (Py_ssize_t j = 0; j < found.n; j++) {
        span *f = &found.items[j];
        PyObject *t = Py_BuildValue("(nnn)", f->index, f->start, f->end);
        if (!t) {
            Py_DECREF(list);
            goto done;
        }
        PyList_SET_ITEM(list, j, t);
    }
    result = Py_BuildValue("(nN)", lines, list);
done:
    free(found.items);
    PyBuffer_Release(&view);
    return result;
}

/* Strict UTF-8, as Python's decoder has it (no overlong forms, no surrogates, <= U+10FFFF);
 * ASCII is skipped 8 bytes at a time. */
#ifdef HAVE_VECTORS
/* Past the 64-byte blocks of plain ASCII from i (most of any log): where one that is not starts. */
__attribute__((target("avx2"))) static Py_ssize_t ascii_avx2(const unsigned char *s,
                                                            Py_ssize_t i, Py_ssize_t n) {
    for (; i + 64 <= n; i += 64) {
        __m256i a = _mm256_loadu_si256((const __m256i *)(s + i));
        __m256i b = _mm256_loadu_si256((const __m256i *)(s + i + 32));
        if (_mm256_movemask_epi8(_mm256_or_si256(a, b))) break;
    }
    return i;
}
#endif

static int valid_utf8(const unsigned char *s, Py_ssize_t n) {
    Py_ssize_t i = 0;
    while (i < n) {
#ifdef HAVE_VECTORS
        if (use_avx2) {
            i = ascii_avx2(s, i, n);
            if (i >= n) break;
        }
#endif
        if (i + 8 <= n) {
            uint64_t v;
            memcpy(&v, s + i, 8);
            if (!(v & 0x8080808080808080ULL)) {
                i += 8;
                continue;
            }
        }
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        Py_ssize_t len = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3
                       : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
        if (len == 0 || i + len > n) return 0;
        unsigned char c1 = s[i + 1];
        if ((c1 & 0xC0) != 0x80) return 0;
        if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 > 0x9F) || (c == 0xF0 && c1 < 0x90) ||
            (c == 0xF4 && c1 > 0x8F))
            return 0;
        for (Py_ssize_t k = 2; k < len; k++)
            if ((s[i + k] & 0xC0) != 0x80) return 0;
        i += len;
    }
    return 1;
}

/* (data, start, end) arguments: the buffer, and the range clamped to it. */
static int read_range(PyObject *args, Py_buffer *view, Py_ssize_t *start, Py_ssize_t *end) {
    if (!PyArg_ParseTuple(args, "y*nn", view, start, end)) return -1;
    if (*end > view->len) *end = view->len;
    if (*start < 0) *start = 0;
    return 0;
}

static PyObject *linescan_utf8_valid(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer view;
    Py_ssize_t start, end;
    if (read_range(args, &view, &start, &end) < 0) return NULL;
    int ok = 1;
    if (start < end) {
        Py_BEGIN_ALLOW_THREADS
        ok = valid_utf8((const unsigned char *)view.buf + start, end - start);
        Py_END_ALLOW_THREADS
    }
    PyBuffer_Release(&view);
    return PyBool_FromLong(ok);
}

/* strip_codes(data, start, end) -> bytes: data[start:end] without the terminal colour codes the
 * reader removes from a line (ESC "[" digits/";"/"?" then a letter: source.ANSI); any other ESC
 * is kept. A code never holds a newline, so the lines stay the lines. */
static PyObject *linescan_strip_codes(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer view;
    Py_ssize_t start, end;
    if (read_range(args, &view, &start, &end) < 0) return NULL;
    PyObject *out = PyBytes_FromStringAndSize(NULL, end > start ? end - start : 0);
    if (!out) {
        PyBuffer_Release(&view);
        return NULL;
    }
    const unsigned char *d = (const unsigned char *)view.buf;
    unsigned char *o = (unsigned char *)PyBytes_AS_STRING(out);
    Py_ssize_t n = 0, i = start;
    Py_BEGIN_ALLOW_THREADS
    while (i < end) {
        const unsigned char *esc = memchr(d + i, 0x1b, (size_t)(end - i));
        Py_ssize_t at = esc ? (Py_ssize_t)(esc - d) : end;
        memcpy(o + n, d + i, (size_t)(at - i));
        n += at - i;
        i = at;
        if (i >= end) break;
        Py_ssize_t j = i + 1;
        if (j < end && d[j] == '[') {
            j++;
            while (j < end && ((d[j] >= '0' && d[j] <= '9') || d[j] == ';' || d[j] == '?')) j++;
            if (j < end && ((d[j] >= 'A' && d[j] <= 'Z') || (d[j] >= 'a' && d[j] <= 'z'))) {
                i = j + 1; /* a code: dropped */
                continue;
            }
        }
        o[n++] = d[i++]; /* an ESC that starts no code: kept */
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    if (_PyBytes_Resize(&out, n) < 0) return NULL;
    return out;
}

/* pytest -v progress lines ("tests/t.py::test_x[1] PASSED       [ 12%]"), as
 * triage.inputs.pytest_text.VERBOSE reads them, on plain ASCII lines only (anything else is
 * left to the Python reader): a first token holding "::", then up to the first " WORD" (one of
 * the outcome words, ending at a word boundary), then anything, then "[ *\d+%]" at the end. */
static const char *const WORDS[] = {"PASSED", "FAILED", "ERROR", "SKIPPED", "XFAIL", "XPASS"};
#define N_WORDS 6
#define WORD_ERROR 2

/* the bytes progress_word must look at twice: '|', and any but a tab, printable ASCII */
static unsigned char LOOK[256];

static void look_init(void) {
    for (int c = 0; c < 256; c++) LOOK[c] = c == '|' || (c != '\t' && (c < 0x20 || c > 0x7e));
}

static inline int word_char(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

/* The outcome word of a -v line (0..N_WORDS-1), or -1. */
static int progress_word(const unsigned char *s, Py_ssize_t n) {
    if (n < 4 || s[0] == '[' || s[0] == '{') return -1;
    /* the first token: up to the first space or tab, holding "::" after its first byte */
    Py_ssize_t first_space = 0;
#ifdef HAVE_VECTORS
    {
        const __m128i space = _mm_set1_epi8(' '), tab = _mm_set1_epi8('\t');
        for (; first_space + 16 <= n; first_space += 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(s + first_space));
            int m = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, space), _mm_cmpeq_epi8(v, tab)));
            if (m) {
                first_space += __builtin_ctz((unsigned)m);
                goto found;
            }
        }
    }
#endif
    while (first_space < n && s[first_space] != ' ' && s[first_space] != '\t') first_space++;
#ifdef HAVE_VECTORS
found:
#endif
    if (first_space < 3 || !memmem(s + 1, (size_t)(first_space - 1), "::", 2)) return -1;
    /* every byte: printable ASCII or a tab, and no " | {" (a compose prefix before JSON) */
    Py_ssize_t i = 0;
#ifdef HAVE_VECTORS
    {   /* 16 bytes at a time: below 0x20 (bytes from 0x80 too, as signed) but a tab, 0x7f, '|' */
        const __m128i space = _mm_set1_epi8(0x20), tab = _mm_set1_epi8('\t');
        const __m128i del = _mm_set1_epi8(0x7f), pipe = _mm_set1_epi8('|');
        for (; i + 16 <= n; i += 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(s + i));
            __m128i low = _mm_andnot_si128(_mm_cmpeq_epi8(v, tab), _mm_cmplt_epi8(v, space));
            __m128i odd = _mm_or_si128(_mm_cmpeq_epi8(v, del), _mm_cmpeq_epi8(v, pipe));
            if (_mm_movemask_epi8(_mm_or_si128(low, odd))) break; /* look closer below */
        }
    }
#endif
    for (; i < n; i++) {
        unsigned char c = s[i];
        if (!LOOK[c]) continue;
        if (c == '|') {
            if (i + 2 < n && s[i + 1] == ' ' && s[i + 2] == '{') return -1;
            continue;
        }
        return -1; /* a control byte (not a tab) or one outside ASCII */
    }
    /* the tail: "[", spaces, digits, "%]" */
    if (s[n - 1] != ']' || s[n - 2] != '%') return -1;
    Py_ssize_t b = n - 3;
    if (b < 0 || s[b] < '0' || s[b] > '9') return -1;
    while (b >= 0 && s[b] >= '0' && s[b] <= '9') b--;
    while (b >= 0 && s[b] == ' ') b--;
    if (b < 0 || s[b] != '[') return -1;
    for (Py_ssize_t q = first_space; q < n; q++) {
        if (s[q] != ' ') continue;
        for (int w = 0; w < N_WORDS; w++) {
            Py_ssize_t len = (Py_ssize_t)strlen(WORDS[w]), at = q + 1;
            if (at + len > n || memcmp(s + at, WORDS[w], (size_t)len) != 0) continue;
            if (at + len < n && word_char(s[at + len])) continue;
            return at + len <= b ? w : -1; /* the bracket comes after the word */
        }
    }
    return -1;
}

static int marks_push(PyObject *marks, Py_ssize_t index, Py_ssize_t s, Py_ssize_t e, int w) {
    PyObject *t = Py_BuildValue("(nnni)", index, s, e, w);
    if (!t) return -1;
    int r = PyList_Append(marks, t);
    Py_DECREF(t);
    return r;
}

/* progress_run(data, start, end) -> (lines, stop, marks): how many whole lines from start are
 * -v progress lines, where they end, and (index, start, end, word) for the ones a reader must
 * look at: the first, the last, and each ERROR line with the lines on either side. A line may end
 * with "\r\n" (the reader drops the "\r"): its mark ends before the "\r". */
static PyObject *linescan_progress_run(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer view;
    Py_ssize_t start, end;
    if (read_range(args, &view, &start, &end) < 0) return NULL;
    const unsigned char *d = (const unsigned char *)view.buf;
    PyObject *marks = PyList_New(0);
    if (!marks) {
        PyBuffer_Release(&view);
        return NULL;
    }
    Py_ssize_t count = 0, pos = start, prev_s = -1, prev_e = -1, marked = -1;
    int prev_w = -1, pending = 0; /* pending: the previous line was ERROR, mark this one */
    while (pos < end) {
        const unsigned char *nl = memchr(d + pos, '\n', (size_t)(end - pos));
        if (!nl) break;
        Py_ssize_t e = (Py_ssize_t)(nl - d), next = e + 1;
        if (e > pos && d[e - 1] == '\r') e--; /* CRLF: the reader drops the "\r" */
        int w = progress_word(d + pos, e - pos);
        if (w < 0) break;
        int mark = count == 0 || pending || w == WORD_ERROR;
        if (w == WORD_ERROR && count > 0 && marked != count - 1) {
            if (marks_push(marks, count - 1, prev_s, prev_e, prev_w) < 0) goto fail;
        }
        if (mark) {
            if (marks_push(marks, count, pos, e, w) < 0) goto fail;
            marked = count;
        }
        pending = w == WORD_ERROR;
        prev_s = pos, prev_e = e, prev_w = w;
        count++;
        pos = next;
    }
    if (count > 0 && marked != count - 1 && marks_push(marks, count - 1, prev_s, prev_e, prev_w) < 0)
        goto fail;
    PyBuffer_Release(&view);
    return Py_BuildValue("(nnN)", count, count ? pos : start, marks);
fail:
    Py_DECREF(marks);
    PyBuffer_Release(&view);
    return NULL;
}

/* Tests pin the scanner to each code path: "avx2", "sse2" or "scalar" (what the CPU has). */
static PyObject *linescan_set_isa(PyObject *self, PyObject *arg) {
    (void)self;
    const char *name = PyUnicode_AsUTF8(arg);
    if (!name) return NULL;
    const char *previous = use_avx2 ? "avx2" : next_hit == next_hit_scalar ? "scalar" : "sse2";
#ifdef HAVE_VECTORS
    if (strcmp(name, "avx2") == 0 && __builtin_cpu_supports("avx2")) {
        use_avx2 = 1;
        next_hit = next_hit_avx2;
    } else if (strcmp(name, "sse2") == 0) {
        use_avx2 = 0;
        next_hit = next_hit_sse2;
    } else
#endif
        if (strcmp(name, "scalar") == 0) {
        use_avx2 = 0;
        next_hit = next_hit_scalar;
    } else {
        PyErr_Format(PyExc_ValueError, "this CPU or build has no %s code path", name);
        return NULL;
    }
    return PyUnicode_FromString(previous);
}

static PyMethodDef methods[] = {
    {"_set_isa", linescan_set_isa, METH_O, "_set_isa(name) -> the previous one (tests only)"},
    {"utf8_valid", linescan_utf8_valid, METH_VARARGS,
     "utf8_valid(data, start, end) -> whether data[start:end] decodes as strict UTF-8"},
    {"strip_codes", linescan_strip_codes, METH_VARARGS,
     "strip_codes(data, start, end) -> data[start:end] without its terminal colour codes"},
    {"progress_run", linescan_progress_run, METH_VARARGS,
     "progress_run(data, start, end) -> (lines, stop, [(index, start, end, word)])"},
    {"select", (PyCFunction)(void (*)(void))linescan_select, METH_VARARGS | METH_KEYWORDS,
     "select(data, first, stop, end, keep_unless=(), prefixes=(), suffixes=(), needles=(), "
     "folded=(), quiet=(), longer_than=0, stamps=False, empty=False) -> (lines, [(index, start, "
     "end)])"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_linescan", "Native line selection (see triage.inputs.linescan).",
    -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__linescan(void) {
    look_init();
#ifdef HAVE_VECTORS
    __builtin_cpu_init();
    use_avx2 = __builtin_cpu_supports("avx2");
    next_hit = use_avx2 ? next_hit_avx2 : next_hit_sse2;
#endif
    return PyModule_Create(&module);
}
