;; Exports volunteer_compute with an i64 length, and imports progress taking an f32: both signatures differ from the ABI.
(module
  (import "volunteer" "progress" (func $progress (param f32)))
  (memory (export "memory") 1)
  (func (export "volunteer_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "volunteer_compute") (param i32 i64) (result i32) (i32.const 0)))
