/*
 * sum.wasm: the reducer module of integral.wasm. The accumulated result and each unit's result are float64 arrays (one
 * element each here); the new accumulated result is their element-wise sum (the unit's own before the first unit).
 *
 * Error code 1: the arrays are not whole float64s, or their lengths differ.
 */
#include "../volunteer.h"

VOLUNTEER_EXPORT(volunteer_alloc) int32_t volunteer_alloc(int32_t len)
{
    return (int32_t)(uintptr_t)volunteer_heap_alloc((uint32_t)len);
}

VOLUNTEER_EXPORT(volunteer_reduce) int32_t volunteer_reduce(double *acc, int32_t acc_len, double *unit, int32_t unit_len)
{
    if (unit_len % 8 != 0 || (acc_len != 0 && acc_len != unit_len)) {
        return 1;
    }
    if (acc_len != 0) {
        for (int32_t i = 0; i < unit_len / 8; i++) {
            unit[i] += acc[i];
        }
    }
    volunteer_result(unit, unit_len);
    return 0;
}
