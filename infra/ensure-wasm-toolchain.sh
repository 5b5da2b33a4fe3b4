#!/usr/bin/env bash
# Makes sure the toolchain that compiles the example WebAssembly apps (workunits/wasm) is installed: Debian's clang and
# lld (wasm-ld), wasi-libc (the wasm32-wasi sysroot) and libclang-rt-dev-wasm32 (compiler builtins for wasm32).
set -euo pipefail

missing=()
command -v clang >/dev/null 2>&1 || missing+=(clang)
command -v wasm-ld >/dev/null 2>&1 || missing+=(lld)
[ -d /usr/include/wasm32-wasi ] || missing+=(wasi-libc)
compgen -G "/usr/lib/llvm-*/lib/clang/*/lib/wasi/libclang_rt.builtins-wasm32.a" >/dev/null || missing+=(libclang-rt-dev-wasm32)

if [ ${#missing[@]} -gt 0 ]; then
  echo "The WebAssembly toolchain is missing ${missing[*]}; installing it with apt-get." >&2
  sudo_cmd=""
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update -q >&2
  if ! $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -q clang lld wasi-libc libclang-rt-dev-wasm32 >&2; then
    echo "Could not install clang lld wasi-libc libclang-rt-dev-wasm32 from this machine's package sources; install them and run again." >&2
    exit 1
  fi
fi
