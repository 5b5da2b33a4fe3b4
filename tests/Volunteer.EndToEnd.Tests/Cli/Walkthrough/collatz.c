/*
 * collatz.wasm, the README's walk-through: for a unit {"from":a,"to":b}, the start in [a, b) whose Collatz chain
 * (n -> n/2 if even, 3n+1 if odd) takes the most steps to reach 1, as {"start":s,"steps":n}.
 * Error code 1: the input is not a range 1 <= from < to <= 10^9.
 */
#include "volunteer.h"

VOLUNTEER_EXPORT(volunteer_alloc) int32_t volunteer_alloc(int32_t len)
{
    return (int32_t)(uintptr_t)volunteer_heap_alloc((uint32_t)len);
}

VOLUNTEER_EXPORT(volunteer_compute) int32_t volunteer_compute(const char *input, int32_t len)
{
    int64_t from, to;
    if (volunteer_json_int64(input, len, "from", &from) != 0 || volunteer_json_int64(input, len, "to", &to) != 0
        || from < 1 || to <= from || to > 1000000000) {
        return 1;
    }
    int64_t best = from, best_steps = -1;
    for (int64_t n = from; n < to; n++) {
        int64_t steps = 0;
        for (uint64_t x = (uint64_t)n; x != 1; steps++) {
            x = (x & 1) ? 3 * x + 1 : x / 2;
        }
        if (steps > best_steps) {
            best = n;
            best_steps = steps;
        }
        if ((n - from) % 10000 == 0) {
            volunteer_progress((double)(n - from) / (double)(to - from));
        }
    }
    char out[64];
    int32_t p = 0;
    const char *start = "{\"start\":", *steps = ",\"steps\":";
    while (*start) {
        out[p++] = *start++;
    }
    p += volunteer_format_int64(best, out + p);
    while (*steps) {
        out[p++] = *steps++;
    }
    p += volunteer_format_int64(best_steps, out + p);
    out[p++] = '}';
    volunteer_result(out, p);
    return 0;
}
