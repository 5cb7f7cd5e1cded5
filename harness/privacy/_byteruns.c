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
 * When every run sought must hold a byte of a class that is rare in text (the `anchor`: capitals, for base64
 * runs that mix cases) and that class is one range of byte values, the scan instead looks for those bytes,
 * sixteen at a time with SSE2, and walks out only from them: most of a tracker's JSON has no capital at all.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

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
/* The position of the first byte at or after `from` whose value lies in [low, low + span], or `length`. */
static Py_ssize_t
next_in_range(const unsigned char *bytes, Py_ssize_t from, Py_ssize_t length, unsigned char low, unsigned char span)
{
    const __m128i lows = _mm_set1_epi8((char)low), spans = _mm_set1_epi8((char)span);
    Py_ssize_t at = from;
    for (; at + 16 <= length; at += 16) {
        /* byte - low, wrapping, is at most span exactly for the bytes in the range */
        __m128i offset = _mm_sub_epi8(_mm_loadu_si128((const __m128i *)(bytes + at)), lows);
        int mask = _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(offset, spans), offset));
        if (mask)
            return at + __builtin_ctz((unsigned int)mask);
    }
    for (; at < length; at++)
        if ((unsigned char)(bytes[at] - low) <= span)
            return at;
    return length;
}

/* Like scan(), for runs that must hold a byte of the anchor range: every such run holds one, so the scan walks
 * out from each anchor byte of the class, then looks for the next anchor past the run's end. Where anchors
 * come closer together than the samples of scan() would (binary data), it hands the rest over to scan(). */
static int
scan_anchored(const unsigned char *bytes, Py_ssize_t length, const unsigned char *classes, unsigned int flag,
              Py_ssize_t min_length, unsigned int need, unsigned char low, unsigned char span, Spans *found)
{
    Py_ssize_t from = 0, walks = 0;
    while ((from = next_in_range(bytes, from, length, low, span)) < length) {
        if (++walks * min_length > from + 256)
            /* bytes[from - 1] is not of the class (or from is 0): no run found from here reaches back */
            return scan(bytes, from, length, classes, flag, min_length, need, found);
        if (!(classes[bytes[from]] & flag)) {
            from++;
            continue;
        }
        unsigned int seen = classes[bytes[from]];
        Py_ssize_t start = from, end = from + 1;
        while (start > 0 && (classes[bytes[start - 1]] & flag))
            seen |= classes[bytes[--start]];
        while (end < length && (classes[bytes[end]] & flag))
            seen |= classes[bytes[end++]];
        if (end - start >= min_length && (seen & need) == need && spans_add(found, start, end) < 0)
            return -1;
        from = end + 1; /* bytes[end] is not of the class: no run holds it */
    }
    return 0;
}

/* Whether the bytes whose class has `anchor` are exactly one range [*low, *low + *span] of byte values. */
static int
anchor_range(const unsigned char *classes, unsigned int anchor, unsigned char *low, unsigned char *span)
{
    int first = -1, last = -1;
    for (int byte = 0; byte < 256; byte++) {
        if (!(classes[byte] & anchor))
            continue;
        if (first >= 0 && last != byte - 1)
            return 0; /* a gap */
        if (first < 0)
            first = byte;
        last = byte;
    }
    if (first < 0)
        return 0;
    *low = (unsigned char)first;
    *span = (unsigned char)(last - first);
    return 1;
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
    Py_BEGIN_ALLOW_THREADS
#ifdef HAVE_RANGE_SEARCH
    unsigned char low, span;
    if (anchor && anchor_range(table.buf, anchor, &low, &span))
        failed = scan_anchored(data.buf, data.len, table.buf, flag, min_length, need, low, span, &found);
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

static PyMethodDef methods[] = {
    {"runs", runs, METH_VARARGS,
     "runs(data, classes, flag, min_length, need, anchor=0) -> [(start, end)]\n\n"
     "The maximal runs of bytes whose entry in `classes` (256 bytes of flags) has `flag`, at least `min_length`\n"
     "long, in which every flag of `need` occurs, in order. `anchor`, a flag of `need` whose bytes are rare and\n"
     "one range of values, is searched for first (the same runs, found faster)."},
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
