# Worker agent image. Build from the repository root:
#   docker build -f infra/docker/worker.Dockerfile -t volunteer-worker .
# The container attaches on first start (state in /state, keep it on a volume) and then runs.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish worker/Volunteer.Worker -c Release -o /app

FROM mcr.microsoft.com/dotnet/runtime:10.0
WORKDIR /app
COPY --from=build /app .
ENV Worker__StateDirectory=/state
# COORDINATORS: space-separated coordinator URLs.
ENTRYPOINT ["sh", "-c", "[ -f /state/identity.json ] || dotnet volunteer-worker.dll attach $COORDINATORS; exec dotnet volunteer-worker.dll run"]
