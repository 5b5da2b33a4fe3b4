# Coordinator silo image. Build from the repository root:
#   docker build -f infra/docker/coordinator.Dockerfile -t volunteer-coordinator .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish coordinator/Volunteer.Coordinator -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
# HTTP (jobs, workers, dashboard data), silo-to-silo, gateway.
EXPOSE 8080 11111 30000
ENV ASPNETCORE_URLS=http://+:8080
# coordinator.sh (published beside the dll) adds the runtime settings only the environment carries (runtime.env there);
# a value the container's environment sets wins.
ENTRYPOINT ["bash", "/app/coordinator.sh"]
