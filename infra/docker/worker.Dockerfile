# Worker agent image: the self-contained single-file agent (infra/publish-worker.sh) on the runtime-deps base, which
# has no .NET of its own. Build from the repository root:
#   docker build -f infra/docker/worker.Dockerfile -t volunteer-worker .
# The container attaches on first start (state in /state, keep it on a volume) and then runs.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG TARGETARCH
WORKDIR /src
COPY . .
RUN ./infra/publish-worker.sh "linux-$([ "$TARGETARCH" = arm64 ] && echo arm64 || echo x64)" \
    && cp artifacts/worker/linux-*/volunteer-worker /volunteer-worker

FROM mcr.microsoft.com/dotnet/runtime-deps:10.0
COPY --from=build /volunteer-worker /usr/local/bin/volunteer-worker
ENV Worker__StateDirectory=/state
# COORDINATORS: space-separated coordinator URLs; ACCOUNT_KEY: the volunteer account to join (optional).
ENTRYPOINT ["sh", "-c", "ls /state/projects/*/identity.json >/dev/null 2>&1 || volunteer-worker attach $COORDINATORS ${ACCOUNT_KEY:+--account $ACCOUNT_KEY} || exit 1; exec volunteer-worker run"]
