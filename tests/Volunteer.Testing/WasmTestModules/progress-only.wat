;; Reports progress forever and never checkpoints: a stop ends it at its second progress call after the stop.
(module
  (import "volunteer" "progress" (func $progress (param f64)))
  (memory (export "memory") 1)
  (func (export "volunteer_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "volunteer_compute") (param i32 i32) (result i32)
    (loop $forever
      (call $progress (f64.const 0.5))
      (br $forever))
    (i32.const 0)))
