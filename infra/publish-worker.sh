#!/usr/bin/env bash
# The worker agent as volunteers install it, into artifacts/worker/:
#   infra/publish-worker.sh [RID... | tool]
# RID (default: linux-x64 linux-arm64 win-x64 osx-arm64): a self-contained single-file executable, no .NET needed on
#   the volunteer's machine, at artifacts/worker/<rid>/volunteer-worker[.exe].
# tool: the dotnet tool package (for people who have .NET 10), at artifacts/worker/tool/Volunteer.Worker.<version>.nupkg:
#   dotnet tool install -g --add-source artifacts/worker/tool Volunteer.Worker
# Prints each file made with its size. The runtime packs for each RID come from NuGet (the SDK picks the version that
# matches the runtime it bundles).
set -euo pipefail
cd "$(dirname "$0")/.."

./infra/ensure-dotnet.sh >/dev/null
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
project=worker/Volunteer.Worker
out=artifacts/worker
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
    # Framework-dependent: it runs on the .NET (with ASP.NET Core) of whoever installs it.
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
    # Single file: the runtime, ASP.NET Core (the peer endpoint) and the agent in one executable, any native library
    # inside it too (on Linux the runtime's are linked into the host and nothing is extracted at start); symbols
    # embedded, so a crash's stack trace still has line numbers. Not compressed inside: a compressed bundle is half
    # the size but inflates every assembly into memory at each start (25 MB more resident and 0.2 s more to start,
    # measured), and an agent that runs all day should cost its owner as little memory as it can; a download is
    # compressed in transit instead (gzip: 44 MB for linux-x64). Not trimmed: the agent binds settings and reads and
    # writes JSON by reflection.
    dotnet publish "$project" -c Release -r "$target" --self-contained --artifacts-path "$build" -o "$out/$target" \
      -p:PublishSingleFile=true -p:IncludeNativeLibrariesForSelfExtract=true \
      -p:DebugType=embedded -p:PublishDocumentationFiles=false --nologo -v quiet
    file=$out/$target/volunteer-worker
    [[ "$target" == win-* ]] && file=$file.exe
    # Nothing but the executable goes to a volunteer.
    find "$out/$target" -mindepth 1 ! -path "$file" -delete
  fi
  bytes=$(size "$file")
  printf '%s\t%s bytes (%s MiB)\t%s s\n' "$file" "$bytes" "$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }')" "$(($(date +%s) - started))"
done
