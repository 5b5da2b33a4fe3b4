;; Passes a result buffer that runs past the end of its memory.
(module
  (import "volunteer" "result" (func $result (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "volunteer_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "volunteer_compute") (param i32 i32) (result i32)
    (call $result (i32.const 65500) (i32.const 100))
    (i32.const 0)))
