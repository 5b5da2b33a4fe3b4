;; Divides by zero: an integer trap.
(module
  (memory (export "memory") 1)
  (func (export "volunteer_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "volunteer_compute") (param i32 i32) (result i32)
    (i32.div_u (i32.const 1) (i32.sub (local.get 1) (local.get 1)))))
