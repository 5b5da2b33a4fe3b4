#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed (the dashboard's browser tests and viewer benchmark drive it through
# Playwright, whose own browser download does not work here) and prints its path.
set -euo pipefail

chromium=/usr/bin/chromium
if [ ! -x "$chromium" ]; then
  echo "Chromium is missing; installing Debian's chromium package with apt-get." >&2
  sudo_cmd=""
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update -q >&2
  if ! $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >&2; then
    echo "Could not install chromium from this machine's package sources; install it and run again." >&2
    exit 1
  fi
fi
echo "$chromium"
