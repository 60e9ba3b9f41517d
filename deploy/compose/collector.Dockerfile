# The collector, built from the repository (context: the repository root).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY . .
RUN npm ci && npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /app /app
USER node
EXPOSE 8480
# A larger young generation: the ingest path allocates per event; measured +8% events/s (collector/README.md).
CMD ["node", "--max-semi-space-size=64", "collector/dist/cli.js", "serve"]
