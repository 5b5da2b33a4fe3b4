/*
 * volunteer.h: the Volunteer ABI for C modules (wasm32), with a few helpers that need no libc.
 *
 * A compute module exports
 *     memory
 *     int32_t volunteer_alloc(int32_t len)                 a buffer of len bytes the host fills; 0 = failure
 *     int32_t volunteer_compute(int32_t input, int32_t len) 0 = success, else an error code (the unit's error)
 * A reducer module exports memory, volunteer_alloc and
 *     int32_t volunteer_reduce(int32_t acc, int32_t acc_len, int32_t unit, int32_t unit_len)   acc_len = 0 at first
 * and gives its output (the new accumulated result) through volunteer_result.
 *
 * It may import only the functions below (each optional): no WASI, so no files, sockets, clocks or randomness. A module
 * built against wasi-libc's stdio or malloc pulls in WASI imports and is refused at registration: build with
 *     clang --target=wasm32-wasi --sysroot=/usr -O2 -nostdlib -Wl,--no-entry -mbulk-memory -o app.wasm app.c
 * (-mbulk-memory turns the compiler's memset/memcpy into wasm instructions instead of libc calls).
 *
 * The input is the unit's JSON as UTF-8 text, or, when the unit's input is a JSON string, that string's content.
 *
 * Fuel: every instruction costs fuel, and every function below that copies bytes between the host and the module's
 * memory (result, checkpoint_save, checkpoint_read, blob_read) costs 1 unit per 64 bytes copied, rounded up, charged
 * before the copy (checkpoint_save is charged even when no checkpoint is due); too little fuel left ends the run as out
 * of fuel. A unit's fuel limit and the fuel it reports cover all its runs: a resumed unit goes on with what it had left.
 *
 * Time: the host interrupts a running module every 50 ms whatever it does, so a module need not call anything for the
 * agent to pause, throttle or stop it. Once the agent is stopping, the module has 2 s to save its checkpoint (which ends
 * the run) before the host ends the run itself. A reducer's fold may run at most 10 s on the coordinator.
 */
#ifndef VOLUNTEER_H
#define VOLUNTEER_H

#include <stdint.h>

#define VOLUNTEER_IMPORT(name) __attribute__((import_module("volunteer"), import_name(#name)))
#define VOLUNTEER_EXPORT(name) __attribute__((export_name(#name)))

/* Sets the unit's result (copied; the last call wins). Returning 0 without calling it is an error. */
VOLUNTEER_IMPORT(result) void volunteer_result(const void *data, int32_t len);

/* Fraction done, 0..1, as the agent shows it: call it now and then (the agent also pauses and throttles the unit
 * between calls). Once the agent is stopping, the second call after the stop ends a run that has not checkpointed. */
VOLUNTEER_IMPORT(progress) void volunteer_progress(double fraction);

/* 1 when the unit should save a checkpoint now (the interval has passed, or the agent is stopping), else 0. */
VOLUNTEER_IMPORT(time_to_checkpoint) int32_t volunteer_time_to_checkpoint(void);

/* Saves state the unit can resume from, standing for fraction of the unit, only when a checkpoint is due (what
 * time_to_checkpoint says); otherwise it returns at once without saving, so ask time_to_checkpoint first rather than
 * copying state for nothing. When the agent is stopping, the run ends inside this call once the state is saved: the
 * unit resumes from it later, on this machine. */
VOLUNTEER_IMPORT(checkpoint_save) void volunteer_checkpoint_save(const void *data, int32_t len, double fraction);

/* The size of the checkpoint this unit resumes from, or -1 when it starts afresh. */
VOLUNTEER_IMPORT(checkpoint_size) int32_t volunteer_checkpoint_size(void);

/* Copies the checkpoint to data (checkpoint_size bytes) and returns its length; -1 when there is none. */
VOLUNTEER_IMPORT(checkpoint_read) int32_t volunteer_checkpoint_read(void *data);

/* The size of the job's shared blob number index (its position in the job's "blobs"), or -1 when there is none. */
VOLUNTEER_IMPORT(blob_size) int64_t volunteer_blob_size(int32_t index);

/* Reads up to len bytes of blob index from offset into data; returns the bytes read (0 at the end), -1: no such blob. */
VOLUNTEER_IMPORT(blob_read) int32_t volunteer_blob_read(int32_t index, int64_t offset, void *data, int32_t len);

/* ---- Helpers: memory without libc ---- */

/* Where the linker puts the end of the module's static data: the heap starts here. */
extern unsigned char __heap_base;

static uintptr_t volunteer_heap_top;

/*
 * Allocates len bytes, 16-byte aligned, growing the memory as needed; 0 when the memory cannot grow (the app version's
 * memory limit). Never freed: every unit runs in a fresh instance, so a bump allocator is all a unit needs.
 */
static inline void *volunteer_heap_alloc(uint32_t len)
{
    if (volunteer_heap_top == 0) {
        volunteer_heap_top = ((uintptr_t)&__heap_base + 15) & ~(uintptr_t)15;
    }
    uintptr_t start = volunteer_heap_top;
    uint64_t end = ((uint64_t)start + len + 15) & ~(uint64_t)15;
    if (end > 0xFFFFFFFFull) {
        return 0;
    }
    uint64_t size = (uint64_t)__builtin_wasm_memory_size(0) * 65536;
    if (end > size) {
        uint64_t pages = (end - size + 65535) / 65536;
        if (__builtin_wasm_memory_grow(0, (uintptr_t)pages) == (uintptr_t)-1) {
            return 0;
        }
    }
    volunteer_heap_top = (uintptr_t)end;
    return (void *)start;
}

/* ---- Helpers: the flat JSON objects of "ranges" units, {"from":a,"to":b} ---- */

/* Reads the integer value of "key" in a flat JSON object; 0 on success, -1 when it is missing or not an integer. */
static inline int volunteer_json_int64(const char *json, int32_t len, const char *key, int64_t *value)
{
    int32_t key_len = 0;
    while (key[key_len] != 0) {
        key_len++;
    }
    for (int32_t i = 0; i + key_len + 2 <= len; i++) {
        if (json[i] != '"' || json[i + key_len + 1] != '"') {
            continue;
        }
        int32_t k = 0;
        while (k < key_len && json[i + 1 + k] == key[k]) {
            k++;
        }
        if (k != key_len) {
            continue;
        }
        int32_t p = i + key_len + 2;
        while (p < len && (json[p] == ' ' || json[p] == '\t' || json[p] == '\n' || json[p] == '\r')) {
            p++;
        }
        if (p >= len || json[p] != ':') {
            continue;
        }
        p++;
        while (p < len && (json[p] == ' ' || json[p] == '\t' || json[p] == '\n' || json[p] == '\r')) {
            p++;
        }
        int negative = p < len && json[p] == '-';
        if (negative) {
            p++;
        }
        if (p >= len || json[p] < '0' || json[p] > '9') {
            return -1;
        }
        uint64_t v = 0;
        while (p < len && json[p] >= '0' && json[p] <= '9') {
            if (v > (UINT64_C(0x7FFFFFFFFFFFFFFF) - (uint64_t)(json[p] - '0')) / 10) {
                return -1;
            }
            v = v * 10 + (uint64_t)(json[p] - '0');
            p++;
        }
        if (p < len && (json[p] == '.' || json[p] == 'e' || json[p] == 'E')) {
            return -1;
        }
        *value = negative ? -(int64_t)v : (int64_t)v;
        return 0;
    }
    return -1;
}

/* Writes value in decimal to out (at least 20 bytes); returns the number of characters. */
static inline int32_t volunteer_format_int64(int64_t value, char *out)
{
    char digits[20];
    int32_t n = 0;
    uint64_t v = value < 0 ? (uint64_t)0 - (uint64_t)value : (uint64_t)value;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    int32_t length = 0;
    if (value < 0) {
        out[length++] = '-';
    }
    while (n > 0) {
        out[length++] = digits[--n];
    }
    return length;
}

#endif
