# podsentinel in one image: every command through the bin dispatcher, e.g.
#   docker run podsentinel run-monitoring --http-port 8080 --http-host 0.0.0.0
#   docker run podsentinel dataset-generator --help
# Runs as uid 10001 with a read-only root filesystem: the pipeline's files go to /app/data (a volume),
# logs to /app/logs, and tsx's transform cache to $TMPDIR (/tmp); mount writable volumes there.
# tests/deploy/dockerfile.test.ts runs this file's npm ci and ENTRYPOINT in a clean copy of the repository.

# Production dependencies only: no compiler, linter, test tools or the `node` devDependency (the image
# brings its own Node 24). Install scripts run (esbuild's platform binary; @tensorflow/tfjs-node is
# optional and is skipped when it cannot build, leaving the pure-JS backends).
FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --ignore-scripts=false --no-audit --no-fund && npm cache clean --force

FROM node:24-slim
ENV NODE_ENV=production \
    TMPDIR=/tmp \
    HOME=/tmp
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY . .
RUN mkdir -p data logs && chown 10001:10001 data logs
USER 10001:10001
VOLUME ["/app/data", "/app/logs"]
EXPOSE 8080 9464
ENTRYPOINT ["node", "bin/podsentinel.mjs"]
CMD ["run-monitoring"]
