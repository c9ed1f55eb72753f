# The longrun image: one executable for every role (migrate, api, worker, notifier).
#   docker build -t longrun .
#   docker run --rm -e DATABASE_URL=… longrun migrate
#   docker run --rm -e DATABASE_URL=… -p 8080:8080 longrun          # api
#   docker run --rm -e DATABASE_URL=… -e LONGRUN_METRICS_PORT=9090 longrun worker

FROM swift:6.3-bookworm AS build
WORKDIR /build

# Dependencies in a layer of their own, so an edit to Sources/ does not fetch them again.
# Package.resolved is copied when present (the glob tolerates its absence) to pin versions.
COPY Package.* ./
RUN swift package resolve

COPY . .
# Static stdlib: the runtime image carries no Swift toolchain. The resource bundles
# (migrations, the OpenAPI document) are found beside the executable, so they travel with it.
RUN swift build -c release --product longrun --static-swift-stdlib \
    && bin="$(swift build -c release --show-bin-path)" \
    && mkdir /staging \
    && cp "$bin/longrun" /staging/ \
    && find "$bin" -mindepth 1 -maxdepth 1 -type d -name '*.resources' -exec cp -R {} /staging/ \; \
    && ls /staging/longrun_LongrunPostgres.resources/sql >/dev/null

FROM debian:bookworm-slim
# libstdc++6 and zlib1g are still linked dynamically with a static stdlib (the slim image
# has them; named so that stays true). curl only serves the HEALTHCHECK.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        ca-certificates tzdata curl libstdc++6 zlib1g \
    && rm -rf /var/lib/apt/lists/*

# A fixed uid, so Kubernetes' runAsNonRoot can check it and volumes can be chowned ahead.
RUN groupadd --system --gid 10001 longrun \
    && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/longrun --create-home \
        --shell /usr/sbin/nologin longrun

COPY --from=build /staging/ /usr/local/bin/

WORKDIR /var/lib/longrun
USER 10001:10001
# In a container the listeners must face the container's network, not its loopback.
ENV LONGRUN_HOST=0.0.0.0
# 8080: the API; 9090: --metrics-port of workers and notifiers.
EXPOSE 8080 9090

# Liveness of the API. Workers and notifiers serve it on LONGRUN_METRICS_PORT instead;
# docker-compose.yml overrides the check for them.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD curl -fsS -o /dev/null "http://127.0.0.1:${LONGRUN_PORT:-8080}/healthz" || exit 1

ENTRYPOINT ["longrun"]
CMD ["api"]
