/* The native backend of harness/privacy/byteruns.py: runs of a byte class, found by looking at every
 * min_length-th byte only.
 *
 * Any run at least min_length long holds one of the bytes sampled min_length apart. From a sampled byte of the
 * class the scan walks back to the start of its run, looks at the byte min_length - 1 past that start (not of
 * the class: a short run, skipped), else walks on to the run's end (collecting the classes seen on the way), then
 * samples again min_length past what it ruled out: the first byte a next long run could be sampled at. A tracker's
 * JSON, whose runs are mostly short words, costs a fraction of its length; a long blob costs its length once.
 * The scan runs without the GIL (rules of several runs may be judged on threads at once).
 *
 * With SSE2 two faster scans take over where they apply, each testing sixteen bytes at a time:
 * - when every run sought must hold a byte of a class that is rare in text (the `anchor`: capitals, for base64
 *   runs that mix cases) and that class is one range of byte values, the scan looks for those bytes and walks
 *   out only from them: most of a tracker's JSON has no capital at all (scan_anchored);
 * - when the class is a few ranges of byte values (hex digits, printable text) and runs are 15 or more long, it
 *   looks for blocks of 8 or 16 bytes all of the class, which any run that long holds (scan_blocks).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__) && defined(__GNUC__)
#include <emmintrin.h>
#define HAVE_RANGE_SEARCH 1
#endif

typedef struct {
    Py_ssize_t *spans; /* start, end, start, end, ... */
    Py_ssize_t count;  /* how many Py_ssize_t are used */
    Py_ssize_t capacity;
} Spans;

static int
spans_add(Spans *found, Py_ssize_t start, Py_ssize_t end)
{
    if (found->count + 2 > found->capacity) {
        Py_ssize_t capacity = found->capacity ? 2 * found->capacity : 64;
        Py_ssize_t *grown = PyMem_RawRealloc(found->spans, (size_t)capacity * sizeof(Py_ssize_t));
        if (grown == NULL)
            return -1;
        found->spans = grown;
        found->capacity = capacity;
    }
    found->spans[found->count++] = start;
    found->spans[found->count++] = end;
    return 0;
}

static int
scan(const unsigned char *bytes, Py_ssize_t from, Py_ssize_t length, const unsigned char *classes, unsigned int flag,
     Py_ssize_t min_length, unsigned int need, Spans *found)
{
    Py_ssize_t sample = from + min_length - 1;
    while (sample < length) {
        if (!(classes[bytes[sample]] & flag)) {
            sample += min_length;
            continue;
        }
        unsigned int seen = classes[bytes[sample]];
        Py_ssize_t start = sample;
        while (start > 0 && (classes[bytes[start - 1]] & flag))
            seen |= classes[bytes[--start]];
        /* A long run reaches min_length - 1 past its start. When the byte there is not of the class, the run is
         * short whatever lies between: no walk to its end, and the next long run can only hold bytes past it. */
        Py_ssize_t reach = start + min_length - 1;
        if (reach > sample && (reach >= length || !(classes[bytes[reach]] & flag))) {
            sample = reach + min_length;
            continue;
        }
        Py_ssize_t end = sample + 1;
        while (end < length && (classes[bytes[end]] & flag))
            seen |= classes[bytes[end++]];
        if (end - start >= min_length && (seen & need) == need && spans_add(found, start, end) < 0)
            return -1;
        sample = end + min_length;
    }
    return 0;
}

#ifdef HAVE_RANGE_SEARCH
#define MAX_RANGES 4

/* The ranges of byte values [lows[i], lows[i] + spans[i]] that hold exactly the bytes whose class has `flag`:
 * how many (0 if none, or more than MAX_RANGES). */
static int
byte_ranges(const unsigned char *classes, unsigned int flag, unsigned char *lows, unsigned char *spans)
{
    int count = 0;
    for (int byte = 0; byte < 256; byte++) {
        if (!(classes[byte] & flag))
            continue;
        if (count && lows[count - 1] + spans[count - 1] == byte - 1) {
            spans[count - 1]++;
            continue;
        }
        if (count == MAX_RANGES)
            return 0;
        lows[count] = (unsigned char)byte;
        spans[count++] = 0;
    }
    return count;
}

typedef struct {
    __m128i lows[MAX_RANGES], spans[MAX_RANGES]; /* each byte value repeated sixteen times */
    int count;
} Ranges;

static Ranges
vector_ranges(const unsigned char *lows, const unsigned char *spans, int count)
{
    Ranges ranges;
    ranges.count = count;
    for (int index = 0; index < count; index++) {
        ranges.lows[index] = _mm_set1_epi8((char)lows[index]);
        ranges.spans[index] = _mm_set1_epi8((char)spans[index]);
    }
    return ranges;
}

/* One bit per byte of bytes[0..16): whether its value lies in one of the ranges. */
static inline unsigned int
in_ranges(const unsigned char *bytes, const Ranges *ranges)
{
    __m128i chunk = _mm_loadu_si128((const __m128i *)bytes), hits = _mm_setzero_si128();
    for (int index = 0; index < ranges->count; index++) {
        /* byte - low, wrapping, is at most span exactly for the bytes in the range */
        __m128i offset = _mm_sub_epi8(chunk, ranges->lows[index]);
        hits = _mm_or_si128(hits, _mm_cmpeq_epi8(_mm_min_epu8(offset, ranges->spans[index]), offset));
    }
    return (unsigned int)_mm_movemask_epi8(hits);
}

/* The maximal run of the class around bytes[at] (which is of it), added to `found` if long enough and holding
 * every class of `need`; returns where a next run may start, the byte after the one that ends this run, which is
 * not of the class (-1: out of memory). */
static Py_ssize_t
walk_out(const unsigned char *bytes, Py_ssize_t at, Py_ssize_t length, const unsigned char *classes,
         unsigned int flag, Py_ssize_t min_length, unsigned int need, Spans *found)
{
    unsigned int seen = classes[bytes[at]];
    Py_ssize_t start = at, end = at + 1;
    while (start > 0 && (classes[bytes[start - 1]] & flag))
        seen |= classes[bytes[--start]];
    while (end < length && (classes[bytes[end]] & flag))
        seen |= classes[bytes[end++]];
    if (end - start >= min_length && (seen & need) == need && spans_add(found, start, end) < 0)
        return -1;
    return end + 1;
}

/* Like scan(), for runs that must hold a byte of one range (the anchor: capitals, rare in a tracker's text):
 * the scan walks out from each anchor byte of the class, found sixteen bytes at a time, then looks for the
 * next past the run's end. Where anchors come closer together than the samples of scan() would (binary data),
 * it hands the rest over to scan(). */
static int
scan_anchored(const unsigned char *bytes, Py_ssize_t length, const unsigned char *classes, unsigned int flag,
              Py_ssize_t min_length, unsigned int need, unsigned char low, unsigned char span, Spans *found)
{
    Py_ssize_t from = 0, walks = 0;
    const Ranges anchors = vector_ranges(&low, &span, 1);
    while (from < length) {
        if (from + 16 <= length) {
            unsigned int mask = in_ranges(bytes + from, &anchors);
            if (!mask) {
                from += 16;
                continue;
            }
            from += __builtin_ctz(mask);
        } else { /* the last few bytes, one at a time */
            while (from < length && (unsigned char)(bytes[from] - low) > span)
                from++;
            if (from == length)
                break;
        }
        if (++walks > (from + 256) / min_length) {
            /* From the start of this capital's run: no run found from there reaches further back. */
            while (from > 0 && (classes[bytes[from - 1]] & flag))
                from--;
            return scan(bytes, from, length, classes, flag, min_length, need, found);
        }
        if (!(classes[bytes[from]] & flag)) {
            from++;
            continue;
        }
        if ((from = walk_out(bytes, from, length, classes, flag, min_length, need, found)) < 0)
            return -1;
    }
    return 0;
}

/* Like scan(), for a class made of a few ranges of byte values and runs at least 15 long: any such run holds
 * a block of 8 bytes (16 for runs of 31 or more) all of the class, at a multiple of 16 from where the scan
 * last started looking; the blocks are tested sixteen bytes at a time, and the scan walks out from a full one.
 * Binary data and a tracker's JSON have few such blocks of hex digits or printable bytes. */
static int
scan_blocks(const unsigned char *bytes, Py_ssize_t length, const unsigned char *classes, unsigned int flag,
            Py_ssize_t min_length, unsigned int need, const unsigned char *lows, const unsigned char *spans,
            int count, Spans *found)
{
    unsigned int wide = min_length >= 31;
    const Ranges ranges = vector_ranges(lows, spans, count);
    /* Per lane of 8 or 16 bits: 1 in its lowest bit, and in its highest (to find a lane of all ones). */
    const unsigned long long lowest = wide ? 0x0001000100010001ULL : 0x0101010101010101ULL;
    const unsigned long long highest = lowest << (wide ? 15 : 7);
    Py_ssize_t at = 0;
    while (at < length) {
        Py_ssize_t block = -1, step;
        if (at + 64 <= length) { /* sixty-four bytes a step, where there is room */
            unsigned long long bits = (unsigned long long)in_ranges(bytes + at, &ranges)
                | (unsigned long long)in_ranges(bytes + at + 16, &ranges) << 16
                | (unsigned long long)in_ranges(bytes + at + 32, &ranges) << 32
                | (unsigned long long)in_ranges(bytes + at + 48, &ranges) << 48;
            /* A lane of all ones is a lane of zeros in ~bits: the lowest one of those is exactly found so */
            unsigned long long zero = (~bits - lowest) & bits & highest;
            if (zero)
                block = at + (__builtin_ctzll(zero) & (wide ? ~15 : ~7));
            step = 64;
        } else { /* then sixteen, the last few padded with bytes that do not count */
            unsigned int mask;
            if (at + 16 <= length) {
                mask = in_ranges(bytes + at, &ranges);
            } else {
                unsigned char tail[16] = {0};
                memcpy(tail, bytes + at, (size_t)(length - at));
                mask = in_ranges(tail, &ranges) & ((1u << (length - at)) - 1);
            }
            if (wide ? mask == 0xFFFF : (mask & 0xFF) == 0xFF)
                block = at;
            else if (!wide && mask >> 8 == 0xFF)
                block = at + 8;
            step = 16;
        }
        if (block < 0) {
            at += step;
            continue;
        }
        if ((at = walk_out(bytes, block, length, classes, flag, min_length, need, found)) < 0)
            return -1;
    }
    return 0;
}
#endif

static PyObject *
runs(PyObject *module, PyObject *args)
{
    Py_buffer data, table;
    unsigned int flag, need, anchor = 0;
    Py_ssize_t min_length;
    if (!PyArg_ParseTuple(args, "y*y*InI|I:runs", &data, &table, &flag, &min_length, &need, &anchor))
        return NULL;
    PyObject *result = NULL;
    Spans found = {NULL, 0, 0};
    int failed;
    if (table.len != 256) {
        PyErr_SetString(PyExc_ValueError, "runs: the class table must have 256 entries");
        goto done;
    }
    if (min_length < 1) {
        PyErr_SetString(PyExc_ValueError, "runs: min_length must be 1 or more");
        goto done;
    }
    if (anchor & ~need) {
        PyErr_SetString(PyExc_ValueError, "runs: the anchor must be a class of need");
        goto done;
    }
    if (min_length > data.len) { /* no run that long fits (and positions past the end never get computed) */
        result = PyList_New(0);
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
#ifdef HAVE_RANGE_SEARCH
    unsigned char lows[MAX_RANGES], spans[MAX_RANGES];
    int count;
    if (anchor && byte_ranges(table.buf, anchor, lows, spans) == 1)
        failed = scan_anchored(data.buf, data.len, table.buf, flag, min_length, need, lows[0], spans[0], &found);
    else if (min_length >= 15 && (count = byte_ranges(table.buf, flag, lows, spans)) > 0)
        failed = scan_blocks(data.buf, data.len, table.buf, flag, min_length, need, lows, spans, count, &found);
    else
#endif
        failed = scan(data.buf, 0, data.len, table.buf, flag, min_length, need, &found);
    Py_END_ALLOW_THREADS
    if (failed) {
        PyErr_NoMemory();
        goto done;
    }
    result = PyList_New(found.count / 2);
    if (result == NULL)
        goto done;
    for (Py_ssize_t index = 0; index < found.count / 2; index++) {
        PyObject *span = Py_BuildValue("(nn)", found.spans[2 * index], found.spans[2 * index + 1]);
        if (span == NULL) {
            Py_CLEAR(result);
            goto done;
        }
        PyList_SET_ITEM(result, index, span);
    }
done:
    PyMem_RawFree(found.spans);
    PyBuffer_Release(&data);
    PyBuffer_Release(&table);
    return result;
}

/* Whether the bytes are UTF-8 as Python's strict codec reads it (no overlong form, no surrogate, nothing past
 * U+10FFFF) without a NUL byte: ASCII eight bytes a step, each other character checked by its lead byte. */
static int
utf8_text(const unsigned char *bytes, Py_ssize_t length)
{
    const uint64_t high_bits = 0x8080808080808080ULL, ones = 0x0101010101010101ULL;
    Py_ssize_t at = 0;
    while (at < length) {
        while (at + 8 <= length) {
            uint64_t word;
            memcpy(&word, bytes + at, 8);
            if ((word & high_bits) || ((word - ones) & ~word & high_bits)) /* non-ASCII, or a zero byte */
                break;
            at += 8;
        }
        if (at == length)
            break;
        unsigned char lead = bytes[at];
        if (lead < 0x80) {
            if (!lead)
                return 0;
            at++;
            continue;
        }
        Py_ssize_t follow;
        unsigned char low = 0x80, high = 0xBF; /* the range of the byte after the lead */
        if (lead >= 0xC2 && lead <= 0xDF)
            follow = 1;
        else if (lead >= 0xE0 && lead <= 0xEF) {
            follow = 2;
            if (lead == 0xE0)
                low = 0xA0; /* shorter forms are overlong */
            else if (lead == 0xED)
                high = 0x9F; /* ED A0..BF are surrogates */
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            follow = 3;
            if (lead == 0xF0)
                low = 0x90;
            else if (lead == 0xF4)
                high = 0x8F; /* past U+10FFFF */
        } else
            return 0;
        if (length - at - 1 < follow || bytes[at + 1] < low || bytes[at + 1] > high)
            return 0;
        for (Py_ssize_t next = 2; next <= follow; next++)
            if ((bytes[at + next] & 0xC0) != 0x80)
                return 0;
        at += follow + 1;
    }
    return 1;
}

static PyObject *
is_text(PyObject *module, PyObject *arg)
{
    Py_buffer data;
    if (PyObject_GetBuffer(arg, &data, PyBUF_SIMPLE) < 0)
        return NULL;
    int text;
    if (data.len < (1 << 16)) { /* most layers: letting other threads run would cost more than the check */
        text = utf8_text(data.buf, data.len);
    } else {
        Py_BEGIN_ALLOW_THREADS
        text = utf8_text(data.buf, data.len);
        Py_END_ALLOW_THREADS
    }
    PyBuffer_Release(&data);
    return PyBool_FromLong(text);
}

static PyMethodDef methods[] = {
    {"runs", runs, METH_VARARGS,
     "runs(data, classes, flag, min_length, need, anchor=0) -> [(start, end)]\n\n"
     "The maximal runs of bytes whose entry in `classes` (256 bytes of flags) has `flag`, at least `min_length`\n"
     "long, in which every flag of `need` occurs, in order. `anchor`, a flag of `need` whose bytes are rare and\n"
     "one range of values, is searched for first (the same runs, found faster)."},
    {"is_text", is_text, METH_O,
     "is_text(data) -> bool\n\n"
     "Whether `data` is UTF-8 (as Python's strict codec reads it) without a NUL byte."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "harness.privacy._byteruns", "Runs of a byte class (harness/privacy/byteruns.py).", -1,
    methods,
};

PyMODINIT_FUNC
PyInit__byteruns(void)
{
    return PyModule_Create(&module);
}
