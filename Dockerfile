# syntax=docker/dockerfile:1
# AlertPrism container image: Alertmanager API v2 on :9093, SQLite data in the /var/lib/alertprism volume.
#
#   docker build -t alertprism .
#   docker run -p 9093:9093 -v alertprism-data:/var/lib/alertprism alertprism
#   docker run ... -v "$PWD/alertmanager:/etc/alertprism:ro" alertprism \
#       --config.file=/etc/alertprism/alertmanager.example.yml \
#       --alertprism.config.file=/etc/alertprism/alertprism.example.yml
#
# Two stages: `build` has the compilers for the native addons (better-sqlite3, re2) and TypeScript; the
# runtime stage gets only dist/, the production node_modules, package.json and the configs, and runs
# as an unprivileged user. test/e2e/packaging.test.ts checks these rules and runs ENTRYPOINT + CMD.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---------------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app

# node-gyp needs python3, make and a C++ compiler (binutils' strip comes with g++).
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*

# Compile the native addons here instead of downloading prebuilt binaries (their hosts are unreachable
# from our build environments), against this image's own Node headers in /usr/local/include/node
# (so node-gyp does not download headers either).
ENV npm_config_build_from_source=true \
    DOWNLOAD_FORCE_BUILD=1 \
    npm_config_nodedir=/usr/local \
    npm_config_update_notifier=false \
    npm_config_audit=false \
    npm_config_fund=false

# Dependencies first, from the lockfile only: this layer is reused until package*.json change.
COPY package.json package-lock.json ./
RUN npm ci

COPY tsconfig.json tsconfig.build.json ./
COPY scripts/copy-ui-assets.mjs ./scripts/copy-ui-assets.mjs
COPY src ./src
# Build, drop the dev dependencies, then what the addons need only to be compiled (C++ sources, object
# files, static libraries) and their debug symbols: node_modules shrinks by about
# 110 MB, to about 40 MB.
RUN npm run build \
 && npm prune --omit=dev \
 && rm -rf node_modules/re2/vendor node_modules/better-sqlite3/deps node_modules/better-sqlite3/src \
 && find node_modules -type d -path '*/build/*' \( -name obj.target -o -name .deps -o -name obj \) -prune -exec rm -rf {} + \
 && find node_modules -type f -path '*/build/Release/*.a' -delete \
 && find node_modules -type f -name '*.node' -exec strip --strip-unneeded {} + \
 && npm cache clean --force

# ---------------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime

ENV NODE_ENV=production \
    ALERTPRISM_STORAGE_PATH=/var/lib/alertprism

# A fixed unprivileged uid/gid (10001), so volume ownership is predictable across image rebuilds.
RUN groupadd --system --gid 10001 alertprism \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /var/lib/alertprism \
      --shell /usr/sbin/nologin alertprism \
 && mkdir -p /var/lib/alertprism /etc/alertprism \
 && chown 10001:10001 /var/lib/alertprism

WORKDIR /app
# Owned by root and read-only for the service user: the code cannot be modified by the process.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY alertmanager ./alertmanager
# The default routing; mount your own over it, or a directory on /etc/alertprism (see the compose file).
COPY alertmanager/alertmanager.yml /etc/alertprism/alertmanager.yml

# The native addons load in this stage's libc/libstdc++ (fails the build, not the first start, if not).
RUN node -e "new (require('better-sqlite3'))(':memory:').close(); new (require('re2'))('a+').test('aa')"

USER 10001:10001
VOLUME ["/var/lib/alertprism"]
EXPOSE 9093

# No curl in the slim image: Node's fetch. Follows ALERTPRISM_LISTEN_ADDRESS and the route prefix
# (ALERTPRISM_ROUTE_PREFIX, or the path of ALERTPRISM_EXTERNAL_URL) when they are set.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const e=process.env,a=e.ALERTPRISM_LISTEN_ADDRESS||':9093',i=a.lastIndexOf(':'),h=a.slice(0,i).replace('[','').replace(']','');let p=e.ALERTPRISM_ROUTE_PREFIX||(e.ALERTPRISM_EXTERNAL_URL?new URL(e.ALERTPRISM_EXTERNAL_URL).pathname:'');while(p.endsWith('/'))p=p.slice(0,-1);if(p!==''&&!p.startsWith('/'))p='/'+p;fetch('http://'+(h===''||h==='0.0.0.0'||h==='::'?'127.0.0.1':h.includes(':')?'['+h+']':h)+':'+a.slice(i+1)+p+'/-/healthy',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))"]

# SIGTERM (docker stop) lets in-flight requests finish and closes the database; keep the stop timeout
# above AlertPrism's 10 s shutdown wait for sends under way (docker stop -t 15, compose stop_grace_period).
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "dist/src/main.js"]
CMD ["--config.file=/etc/alertprism/alertmanager.yml"]
