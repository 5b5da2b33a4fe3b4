;; Returns error code 42 after giving a result: the code wins, the unit is an error.
(module
  (import "volunteer" "result" (func $result (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "volunteer_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "volunteer_compute") (param i32 i32) (result i32)
    (call $result (local.get 0) (local.get 1))
    (i32.const 42)))
