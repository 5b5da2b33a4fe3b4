#!/usr/bin/env bash
# What infra/publish-worker.sh and infra/publish-cli.sh share: publishes one program as its users install it.
#   infra/publish-app.sh PROJECT OUT EXECUTABLE [RID... | tool]
# RID (default: linux-x64 linux-arm64 win-x64 osx-arm64): a self-contained single-file executable, no .NET needed, at
#   OUT/<rid>/EXECUTABLE[.exe].
# tool: the dotnet tool package (for people who have .NET 10), at OUT/tool/<package id>.<version>.nupkg.
# Prints each file made with its size. The runtime packs for each RID come from NuGet (the SDK picks the version that
# matches the runtime it bundles).
set -euo pipefail
cd "$(dirname "$0")/.."

project=$1 out=$2 executable=$3
shift 3
./infra/ensure-dotnet.sh >/dev/null
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# Its own obj and bin folders: a publish for a RID restores the projects for that RID, which must not disturb the
# solution's own build output (tests may be building it at the same time).
build=$out/build

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(linux-x64 linux-arm64 win-x64 osx-arm64)
fi

size() { stat -c %s "$1" 2>/dev/null || stat -f %z "$1"; }

for target in "${targets[@]}"; do
  started=$(date +%s)
  if [ "$target" = tool ]; then
    rm -rf "${out:?}/tool"
    # Framework-dependent: it runs on the .NET of whoever installs it.
    dotnet pack "$project" -c Release --artifacts-path "$build" -o "$out/tool" -p:PackAsTool=true \
      -p:PublishDocumentationFiles=false --nologo -v quiet
    file=$(ls "$out"/tool/*.nupkg)
  else
    case "$target" in
      linux-x64 | linux-arm64 | linux-musl-x64 | osx-x64 | osx-arm64 | win-x64 | win-x86) ;;
      *)
        echo "Unknown target '$target': a runtime identifier (linux-x64, linux-arm64, win-x64, osx-arm64, ...) or 'tool'." >&2
        exit 2
        ;;
    esac
    rm -rf "${out:?}/$target"
    # Single file: the runtime and the program in one executable, any native library inside it too (the runtime's
    # are linked into the host on Linux; others, such as Wasmtime's, are extracted once at first start); symbols
    # embedded, so a crash's stack trace still has line numbers. Not compressed inside: a compressed bundle is half
    # the size but inflates every assembly into memory at each start (measured: the agent 25 MB more resident and
    # 0.2 s more to start; the volunteer tool 0.5 s instead of 0.2 s and 58 MB instead of 32 MB), and a download is
    # compressed in transit instead. Not trimmed: both bind settings and read and write JSON by reflection.
    dotnet publish "$project" -c Release -r "$target" --self-contained --artifacts-path "$build" -o "$out/$target" \
      -p:PublishSingleFile=true -p:IncludeNativeLibrariesForSelfExtract=true \
      -p:DebugType=embedded -p:PublishDocumentationFiles=false --nologo -v quiet
    file=$out/$target/$executable
    [[ "$target" == win-* ]] && file=$file.exe
    # Nothing but the executable goes to its users.
    find "$out/$target" -mindepth 1 ! -path "$file" -delete
  fi
  bytes=$(size "$file")
  printf '%s\t%s bytes (%s MiB)\t%s s\n' "$file" "$bytes" "$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }')" "$(($(date +%s) - started))"
done
