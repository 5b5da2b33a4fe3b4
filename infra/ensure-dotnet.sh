#!/usr/bin/env bash
# Makes sure the .NET 10 SDK is on PATH, installing Debian/Ubuntu's package when it is missing.
set -euo pipefail

if command -v dotnet >/dev/null 2>&1 && dotnet --list-sdks | grep -q '^10\.'; then
  exit 0
fi
echo "The .NET 10 SDK is missing; installing it with apt-get." >&2
sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
$sudo_cmd apt-get update -q
if ! $sudo_cmd apt-get install -y -q dotnet-sdk-10.0; then
  echo "Could not install dotnet-sdk-10.0 from this machine's package sources." >&2
  echo "Install the .NET 10 SDK (https://learn.microsoft.com/dotnet/core/install/linux) and run again." >&2
  exit 1
fi
