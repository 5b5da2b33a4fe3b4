;; Counts from 0 to 1000 (or from its checkpoint, an i32), reporting progress at every step and saving the count when
;; time_to_checkpoint says so; the result is the 4-byte count it ended at, 1000, plus 1000000 times the count it
;; resumed from (so a test sees where it resumed).
(module
  (import "volunteer" "result" (func $result (param i32 i32)))
  (import "volunteer" "progress" (func $progress (param f64)))
  (import "volunteer" "time_to_checkpoint" (func $time_to_checkpoint (result i32)))
  (import "volunteer" "checkpoint_save" (func $checkpoint_save (param i32 i32 f64)))
  (import "volunteer" "checkpoint_size" (func $checkpoint_size (result i32)))
  (import "volunteer" "checkpoint_read" (func $checkpoint_read (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "volunteer_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "volunteer_compute") (param i32 i32) (result i32)
    (local $i i32) (local $start i32)
    (if (i32.eq (call $checkpoint_size) (i32.const 4))
      (then
        (drop (call $checkpoint_read (i32.const 16)))
        (local.set $i (i32.load (i32.const 16)))))
    (local.set $start (local.get $i))
    (block $done
      (loop $step
        (br_if $done (i32.ge_u (local.get $i) (i32.const 1000)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (call $progress (f64.div (f64.convert_i32_u (local.get $i)) (f64.const 1000)))
        (if (call $time_to_checkpoint)
          (then
            (i32.store (i32.const 32) (local.get $i))
            (call $checkpoint_save (i32.const 32) (i32.const 4) (f64.div (f64.convert_i32_u (local.get $i)) (f64.const 1000)))))
        (br $step)))
    (i32.store (i32.const 48) (i32.add (local.get $i) (i32.mul (local.get $start) (i32.const 1000000))))
    (call $result (i32.const 48) (i32.const 4))
    (i32.const 0)))
