# One image for both processes: `node --optimize-for-size src/cli/operator.ts` (the default) and
# `node src/cli/executor.ts run ...`.
# Node 24 runs the TypeScript sources directly (type stripping), so there is no build step; the runtime stage has
# production dependencies only and runs as the image's unprivileged `node` user (1000:1000).
FROM node:24-slim AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY package.json ./
COPY src ./src
COPY webhooks ./webhooks
COPY controllers ./controllers
COPY proto ./proto
# Node's compile cache: the sources as type stripping leaves them and V8's code for them, filled by loading each
# program's modules once (--help) as the user and with the V8 flags the manifests start them with, so that a
# start neither strips types nor loads the stripper (~11 MiB less RSS for the operator, ~0.2 s sooner).
ENV NODE_COMPILE_CACHE=/app/.node-compile-cache
RUN install -d -o 1000 -g 1000 /app/.node-compile-cache
USER 1000:1000
RUN node --optimize-for-size src/cli/operator.ts --help > /dev/null && node src/cli/executor.ts --help > /dev/null
ENTRYPOINT ["node"]
CMD ["--optimize-for-size", "src/cli/operator.ts"]
