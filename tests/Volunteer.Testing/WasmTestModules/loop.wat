;; Loops forever without calling the host: only its fuel ends it.
(module
  (memory (export "memory") 1)
  (func (export "volunteer_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "volunteer_compute") (param i32 i32) (result i32)
    (loop $forever (br $forever))
    (i32.const 0)))
