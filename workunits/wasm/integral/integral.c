/*
 * integral.wasm: pi as the integral of 4 / (1 + x^2) over [0, 1], by the midpoint rule with STEPS steps of width
 * 1 / STEPS. A "ranges" job over [0, STEPS) gives each unit {"from":a,"to":b}, the steps a..b-1; the unit's result is
 * one little-endian float64, the sum of its steps' areas. Compare results with the tolerance comparator (the sum's last
 * bits depend on how the job is split), and add them up with the reducer module sum.wasm.
 *
 * Error code 1: the input is not a range 0 <= from < to <= STEPS.
 */
#include "../volunteer.h"

#define STEPS INT64_C(100000000)

/* Steps between progress calls: a few milliseconds of work. */
#define STEPS_PER_PROGRESS 1000000

VOLUNTEER_EXPORT(volunteer_alloc) int32_t volunteer_alloc(int32_t len)
{
    return (int32_t)(uintptr_t)volunteer_heap_alloc((uint32_t)len);
}

VOLUNTEER_EXPORT(volunteer_compute) int32_t volunteer_compute(const char *input, int32_t len)
{
    int64_t from, to;
    if (volunteer_json_int64(input, len, "from", &from) != 0 || volunteer_json_int64(input, len, "to", &to) != 0
        || from < 0 || to <= from || to > STEPS) {
        return 1;
    }
    const double width = 1.0 / (double)STEPS;
    double sum = 0.0;
    for (int64_t start = from; start < to; start += STEPS_PER_PROGRESS) {
        int64_t end = to - start > STEPS_PER_PROGRESS ? start + STEPS_PER_PROGRESS : to;
        for (int64_t i = start; i < end; i++) {
            double x = ((double)i + 0.5) * width;
            sum += 4.0 / (1.0 + x * x);
        }
        volunteer_progress((double)(end - from) / (double)(to - from));
    }
    double area = sum * width;
    volunteer_result(&area, (int32_t)sizeof area);
    return 0;
}
