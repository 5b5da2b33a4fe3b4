;; Exports memory and volunteer_alloc but not volunteer_compute.
(module
  (memory (export "memory") 1)
  (func (export "volunteer_alloc") (param i32) (result i32) (i32.const 1024)))
