;; Reads the job's blob number (first input byte - '0') whole and gives it back as its result; error code 1 when the
;; blob does not exist (blob_size -1), 2 when a read returns fewer bytes than the blob holds.
(module
  (import "volunteer" "result" (func $result (param i32 i32)))
  (import "volunteer" "blob_size" (func $blob_size (param i32) (result i64)))
  (import "volunteer" "blob_read" (func $blob_read (param i32 i64 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (func (export "volunteer_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "volunteer_compute") (param $input i32) (param $length i32) (result i32)
    (local $index i32) (local $size i64) (local $half i32)
    (local.set $index (i32.sub (i32.load8_u (local.get $input)) (i32.const 48)))
    (local.set $size (call $blob_size (local.get $index)))
    (if (i64.lt_s (local.get $size) (i64.const 0)) (then (return (i32.const 1))))
    ;; Two reads, the second from an offset, to exercise offsets.
    (local.set $half (i32.wrap_i64 (i64.div_u (local.get $size) (i64.const 2))))
    (if (i32.ne (call $blob_read (local.get $index) (i64.const 0) (i32.const 4096) (local.get $half)) (local.get $half))
      (then (return (i32.const 2))))
    (if (i32.ne
          (call $blob_read (local.get $index) (i64.extend_i32_u (local.get $half)) (i32.add (i32.const 4096) (local.get $half))
            (i32.sub (i32.wrap_i64 (local.get $size)) (local.get $half)))
          (i32.sub (i32.wrap_i64 (local.get $size)) (local.get $half)))
      (then (return (i32.const 2))))
    (call $result (i32.const 4096) (i32.wrap_i64 (local.get $size)))
    (i32.const 0)))
