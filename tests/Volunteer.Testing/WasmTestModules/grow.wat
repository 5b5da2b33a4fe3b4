;; Grows its memory a page at a time until memory.grow fails (-1, at the memory cap), then traps, as a C module whose
;; allocation fails would abort. Stops at 16384 pages (1 GiB) so that it ends even without a cap.
(module
  (memory (export "memory") 1)
  (func (export "volunteer_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "volunteer_compute") (param i32 i32) (result i32)
    (loop $more
      (if (i32.eq (memory.grow (i32.const 1)) (i32.const -1))
        (then unreachable))
      (br_if $more (i32.lt_u (memory.size) (i32.const 16384))))
    (i32.const 0)))
