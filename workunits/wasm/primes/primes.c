/*
 * primes.wasm: counts the primes in [from, to) of a unit {"from":a,"to":b} (a "ranges" job) with a segmented sieve of
 * Eratosthenes, and gives {"primeCount":N}, byte for byte what the built-in primes app gives, so its results can be
 * checked against it. Reports progress after every segment and checkpoints when the agent asks.
 *
 * Error codes: 1 the input is not a range 0 <= from < to <= 10^16; 2 out of memory (raise the version's memory limit).
 */
#include "../volunteer.h"

#define MAX_TO INT64_C(10000000000000000)

/* A segment of 32 KiB of bits (odd numbers only) stays in the cache; far out it grows with the sieving primes, to at
 * most 2^23 bits, so a segment stays tens of milliseconds between progress calls (as the built-in app does). */
#define CACHE_SEGMENT_BITS (32 * 1024 * 8)
#define SEGMENT_BITS_PER_SIEVING_PRIME 8
#define MAX_SEGMENT_BITS (1 << 23)

typedef struct {
    int64_t from, to, end_index, low_index, position, count;
    int32_t prime_count, active_primes, segment_bits, two_counted;
    int32_t *primes;
    int32_t *offsets;
    uint64_t *words;
} counter;

/* The checkpoint: where the unit stands, two little-endian int64s (the built-in app's format). */
typedef struct {
    int64_t next_position;
    int64_t count_so_far;
} checkpoint;

VOLUNTEER_EXPORT(volunteer_alloc) int32_t volunteer_alloc(int32_t len)
{
    return (int32_t)(uintptr_t)volunteer_heap_alloc((uint32_t)len);
}

static int64_t integer_sqrt(int64_t n)
{
    int64_t root = (int64_t)__builtin_sqrt((double)n);
    while (root * root > n) {
        root--;
    }
    while ((root + 1) * (root + 1) <= n) {
        root++;
    }
    return root;
}

/* The odd primes up to limit (a plain odd-only sieve); -1 when out of memory. Bit i stands for 2i + 1. */
static int32_t odd_primes_up_to(int32_t limit, int32_t **primes)
{
    *primes = 0;
    if (limit < 3) {
        return 0;
    }
    int32_t last = (limit - 1) / 2;
    int32_t word_count = (last >> 6) + 1;
    uint64_t *composite = volunteer_heap_alloc((uint32_t)word_count * 8);
    if (composite == 0) {
        return -1;
    }
    __builtin_memset(composite, 0, (uint32_t)word_count * 8);
    for (int64_t i = 1;; i++) {
        int64_t p = 2 * i + 1;
        if (p * p > limit) {
            break;
        }
        if ((composite[i >> 6] & (UINT64_C(1) << (i & 63))) == 0) {
            for (int64_t j = (p * p) / 2; j <= last; j += p) {
                composite[j >> 6] |= UINT64_C(1) << (j & 63);
            }
        }
    }
    int32_t count = 0;
    for (int32_t i = 1; i <= last; i++) {
        count += (composite[i >> 6] & (UINT64_C(1) << (i & 63))) == 0;
    }
    int32_t *list = volunteer_heap_alloc((uint32_t)count * 4);
    if (list == 0 && count > 0) {
        return -1;
    }
    int32_t n = 0;
    for (int32_t i = 1; i <= last; i++) {
        if ((composite[i >> 6] & (UINT64_C(1) << (i & 63))) == 0) {
            list[n++] = 2 * i + 1;
        }
    }
    *primes = list;
    return count;
}

static void count_two_if_passed(counter *c)
{
    if (!c->two_counted && c->from <= 2 && 2 < c->position) {
        c->count++;
        c->two_counted = 1;
    }
}

static int counter_init(counter *c, int64_t from, int64_t to)
{
    c->from = from;
    c->to = to;
    c->low_index = from / 2;
    c->end_index = to / 2;
    c->count = 0;
    c->two_counted = 0;
    c->active_primes = 0;
    c->prime_count = odd_primes_up_to(to < 2 ? 0 : (int32_t)integer_sqrt(to - 1), &c->primes);
    if (c->prime_count < 0) {
        return -1;
    }
    c->offsets = volunteer_heap_alloc((uint32_t)c->prime_count * 4 + 4);
    int64_t bits = (int64_t)c->prime_count * SEGMENT_BITS_PER_SIEVING_PRIME;
    if (bits < CACHE_SEGMENT_BITS) {
        bits = CACHE_SEGMENT_BITS;
    }
    if (bits > MAX_SEGMENT_BITS) {
        bits = MAX_SEGMENT_BITS;
    }
    if (bits > c->end_index - c->low_index) {
        bits = c->end_index - c->low_index;
    }
    c->segment_bits = (int32_t)((bits + 63) & ~63);
    c->words = volunteer_heap_alloc((uint32_t)c->segment_bits / 8 + 8);
    if (c->offsets == 0 || c->words == 0) {
        return -1;
    }
    c->position = c->low_index >= c->end_index ? c->to : c->from;
    count_two_if_passed(c);
    return 0;
}

static int counter_done(const counter *c)
{
    return c->low_index >= c->end_index;
}

/* Starts sieving with each prime once its square falls in the segment: smaller multiples are crossed off already. */
static void activate_primes(counter *c, int32_t length)
{
    int64_t lowest = 2 * c->low_index + 1;
    int64_t highest = 2 * (c->low_index + length) - 1;
    while (c->active_primes < c->prime_count) {
        int64_t p = c->primes[c->active_primes];
        if (p * p > highest) {
            break;
        }
        int64_t first = p * p > lowest ? p * p : lowest;
        int64_t multiple = (first + p - 1) / p * p;
        if ((multiple & 1) == 0) {
            multiple += p;
        }
        c->offsets[c->active_primes] = (int32_t)(multiple / 2 - c->low_index);
        c->active_primes++;
    }
}

static void sieve_next_segment(counter *c)
{
    int64_t remaining = c->end_index - c->low_index;
    int32_t length = remaining < c->segment_bits ? (int32_t)remaining : c->segment_bits;
    int32_t word_count = (length + 63) >> 6;
    uint64_t *words = c->words;
    __builtin_memset(words, 0xFF, (uint32_t)word_count * 8);
    if ((length & 63) != 0) {
        words[word_count - 1] = (UINT64_C(1) << (length & 63)) - 1;
    }
    if (c->low_index == 0) {
        words[0] &= ~UINT64_C(1); /* index 0 stands for 1, not a prime */
    }

    activate_primes(c, length);
    for (int32_t i = 0; i < c->active_primes; i++) {
        int32_t p = c->primes[i];
        int32_t j = c->offsets[i];
        for (; j < length; j += p) {
            words[j >> 6] &= ~(UINT64_C(1) << (j & 63));
        }
        c->offsets[i] = j - length;
    }

    int64_t survivors = 0;
    for (int32_t w = 0; w < word_count; w++) {
        survivors += __builtin_popcountll(words[w]);
    }
    c->count += survivors;
    c->low_index += length;
    c->position = counter_done(c) ? c->to : 2 * c->low_index;
    count_two_if_passed(c);
}

VOLUNTEER_EXPORT(volunteer_compute) int32_t volunteer_compute(const char *input, int32_t len)
{
    int64_t from, to;
    if (volunteer_json_int64(input, len, "from", &from) != 0 || volunteer_json_int64(input, len, "to", &to) != 0
        || from < 0 || to <= from || to > MAX_TO) {
        return 1;
    }

    /* A checkpoint that cannot belong to this unit is ignored: starting over is always correct. */
    checkpoint resumed = {from, 0};
    if (volunteer_checkpoint_size() == (int32_t)sizeof(checkpoint)) {
        checkpoint saved;
        volunteer_checkpoint_read(&saved);
        if (saved.next_position >= from && saved.next_position <= to && saved.count_so_far >= 0
            && saved.count_so_far <= saved.next_position - from) {
            resumed = saved;
        }
    }

    counter c;
    if (counter_init(&c, resumed.next_position, to) != 0) {
        return 2;
    }
    double length = (double)(to - from);
    if (resumed.next_position > from) {
        volunteer_progress((double)(resumed.next_position - from) / length);
    }
    while (!counter_done(&c)) {
        sieve_next_segment(&c);
        if (counter_done(&c)) {
            break;
        }
        double fraction = (double)(c.position - from) / length;
        volunteer_progress(fraction);
        if (volunteer_time_to_checkpoint()) {
            checkpoint state = {c.position, resumed.count_so_far + c.count};
            volunteer_checkpoint_save(&state, (int32_t)sizeof state, fraction);
        }
    }
    volunteer_progress(1.0);

    char result[48] = "{\"primeCount\":";
    int32_t n = 14;
    n += volunteer_format_int64(resumed.count_so_far + c.count, result + n);
    result[n++] = '}';
    volunteer_result(result, n);
    return 0;
}
