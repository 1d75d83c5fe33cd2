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
USER 1000:1000
ENTRYPOINT ["node"]
CMD ["--optimize-for-size", "src/cli/operator.ts"]
